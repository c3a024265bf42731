// What a route handler answers, and how it goes on the wire. Handlers return
// a Reply instead of writing to the response, so idempotency can store and
// replay exactly what was sent.
import type { Response } from 'express';
import { ApiProblem, PROBLEM_CONTENT_TYPE, problemBody } from './problems';

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  /** The body already serialized (a cached page). */
  json?: string;
}

export const ok = (body: unknown, status = 200, headers?: Record<string, string>): Reply => ({ status, body, headers });

/** A 200 whose body is already JSON text. */
export const okJson = (json: string): Reply => ({ status: 200, body: undefined, json });

/** Sends a body that is already JSON text (a replay, a problem). */
export function sendJsonText(res: Response, status: number, json: string, contentType: string, headers: Record<string, string> = {}): void {
  res.status(status);
  res.setHeader('Content-Type', contentType);
  res.setHeader('Cache-Control', 'no-store');
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.end(json);
}

export function sendReply(res: Response, reply: Reply): void {
  sendJsonText(res, reply.status, reply.json ?? JSON.stringify(reply.body), JSON_CONTENT_TYPE, reply.headers);
}

/** The problem as a Reply (body, content type and headers), for sending or storing. */
export function problemReply(p: ApiProblem, instance: string, requestId: string): { reply: Reply; json: string } {
  const body = problemBody(p, instance, requestId);
  return { reply: { status: p.status, body, headers: p.extra.headers }, json: JSON.stringify(body) };
}

export function sendProblem(res: Response, p: ApiProblem, instance: string, requestId: string): void {
  const { reply, json } = problemReply(p, instance, requestId);
  sendJsonText(res, reply.status, json, PROBLEM_CONTENT_TYPE, reply.headers);
}
