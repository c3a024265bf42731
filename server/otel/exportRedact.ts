// Everything FlowForge exports goes through the one redaction again, whatever
// its source already did: a secret that slipped into a command line, a reason
// or an explanation must not leave the machine.
import type { Attributes, AttributeValue } from '@opentelemetry/api';
import { redact } from '../shared/redact';

function redactValue(value: AttributeValue | undefined): AttributeValue | undefined {
  if (typeof value === 'string') return redact(value);
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'string' ? redact(v) : v)) as AttributeValue;
  return value;
}

export function redactAttributes(attrs: Attributes): Attributes {
  const out: Attributes = {};
  for (const [k, v] of Object.entries(attrs)) out[k] = redactValue(v);
  return out;
}
