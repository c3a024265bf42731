// The detector's public surface: what the engine, the policy and the benches use.
export { Detector } from './detector';
export type { DetectionThresholds, ResourceReading, SignalSnapshot, StreamName } from './types';
