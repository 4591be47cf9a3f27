import * as v from 'valibot';
import { STORE_KINDS, timerDurationProblem, type JoinRequest } from '../contract/index.js';
import { checkDuration } from '../protocol/duration.js';

// The one builder of a JoinRequest from operator input, whatever the source: join's flags, a
// pasted `kubeadm join …` line, a kubeadm JoinConfiguration (--config) and the kiosk's
// provisioning file. Each source maps its own names onto these fields (and names them back
// in messages); the schema checks each field's type. What the values mean (a well-formed
// token, endpoint or pin) is checked by joinRequestProblems (agent/contract/validate.ts),
// in the engine's validate phase or by the provisioning file's reader.

const TEXT = 'is not a string';

/** A duration: Go's syntax as text (files), or milliseconds a duration flag already checked. */
const duration = v.pipe(
  v.union([v.string(), v.number()], 'is not a duration: use e.g. 30s, 5m or 1h30m'),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    const value = dataset.value;
    const checked = typeof value === 'string' ? checkDuration(value) : { ms: value, problem: timerDurationProblem(value) };
    if (checked.problem === undefined) return checked.ms;
    addIssue({ message: checked.problem });
    return NEVER;
  }),
);

/** The fields of a JoinRequest, each as any source may give it; optional, as in the request. */
const JoinInputSchema = v.object({
  endpoint: v.optional(v.string(TEXT)),
  token: v.optional(v.string(TEXT)),
  tlsBootstrapToken: v.optional(v.string(TEXT)),
  // A single pin is accepted as a one-element list (the provisioning file allows it).
  caCertHashes: v.optional(
    v.union(
      [
        v.pipe(
          v.string(),
          v.transform((pin) => [pin]),
        ),
        v.array(v.string()),
      ],
      'is not a list of sha256:<hex> strings',
    ),
  ),
  unsafeSkipCaVerification: v.optional(v.boolean('is not a boolean: write true or false, without quotes')),
  discoveryFile: v.optional(v.string(TEXT)),
  nodeName: v.optional(v.string(TEXT)),
  store: v.optional(v.picklist(STORE_KINDS, 'is not supported: use auto, keychain or file')),
  certDir: v.optional(v.string(TEXT)),
  kubeconfigOut: v.optional(v.string(TEXT)),
  force: v.optional(v.boolean('is not a boolean: write true or false, without quotes')),
  proxy: v.optional(v.string(TEXT)),
  discoveryTimeoutMs: v.optional(duration),
  timeoutMs: v.optional(duration),
});

/** What a source hands the builder: the request's fields, each as that source read it. */
export type JoinInput = { [K in keyof JoinRequest]?: unknown };
/** The schema's output is the engine's JoinRequest, field for field (a compile-time check). */
type Built = v.InferOutput<typeof JoinInputSchema>;
const sameShape: [Required<Built>, Required<JoinRequest>] extends [Required<JoinRequest>, Required<Built>] ? true : never = true;
void sameShape;

export type JoinField = keyof JoinRequest;
/** One bad field: `message` reads after the field's name, e.g. `"cloud" is not supported: …`. */
export interface InputProblem {
  field: JoinField;
  message: string;
}
export type BuiltJoinRequest = { ok: true; request: JoinRequest } | { ok: false; problems: InputProblem[] };

/** Fields whose values are secrets: a problem with one never quotes it. */
const SECRET: readonly JoinField[] = ['token', 'tlsBootstrapToken', 'proxy'];

function shown(field: JoinField, value: unknown): string {
  if (SECRET.includes(field)) return '';
  if (typeof value === 'string') return `${JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value)} `;
  if (typeof value === 'number' || typeof value === 'boolean') return `${value} `;
  return '';
}

/**
 * Checks and builds a request from one or more layers, later layers winning field by field
 * (a --config file, then the flags). Absent fields (`undefined`, `null`, `""`) are left out.
 */
export function buildJoinRequest(...layers: JoinInput[]): BuiltJoinRequest {
  const merged: Record<string, unknown> = {};
  for (const layer of layers) {
    for (const [field, value] of Object.entries(layer)) if (value !== undefined && value !== null && value !== '') merged[field] = value;
  }
  const result = v.safeParse(JoinInputSchema, merged);
  if (result.success) {
    const request: JoinRequest = {};
    for (const [field, value] of Object.entries(result.output)) if (value !== undefined) Object.assign(request, { [field]: value });
    return { ok: true, request };
  }
  const problems = result.issues.map((issue) => {
    const field = String(issue.path?.[0]?.key ?? '') as JoinField;
    return { field, message: `${shown(field, merged[field])}${issue.message}` };
  });
  return { ok: false, problems };
}
