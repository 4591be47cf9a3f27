// Reading API objects from a verified server: an answer that is not the object it should be
// (a broken server, or a broken proxy in front of it) is a MalformedObjectError, whose message
// names fields and never quotes values.

export class MalformedObjectError extends Error {
  override name = 'MalformedObjectError';
}

export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
