// Tokens bound to one node (docs/enrollment.md): what marks them on their Secret, and the
// group they authenticate as. The group may create CSRs (system:node-bootstrapper) but is
// bound to no auto-approval, so kube-controller-manager's csrapproving leaves their CSRs to
// `kubejoin cluster approve`, which approves only the node the token is bound to.

/** The only extra group of a bound token. */
export const BOUND_GROUP = 'system:bootstrappers:kubejoin:bound';

/** Label on a bound token's Secret (lets `token list` and people find them). */
export const BOUND_LABEL = 'kubejoin.io/bound-token';
/** Annotation: the node name the token may join as (annotations hold 253-character names). */
export const NODE_ANNOTATION = 'kubejoin.io/node-name';
/** Annotation: "true" when the token is deleted once its certificate is issued. */
export const SINGLE_USE_ANNOTATION = 'kubejoin.io/single-use';

/** The user a bootstrap token authenticates as. */
export const BOOTSTRAP_USER = /^system:bootstrap:([a-z0-9]{6})$/;

/** The signer of kubelet client certificates. */
export const KUBELET_CLIENT_SIGNER = 'kubernetes.io/kube-apiserver-client-kubelet';

/** The condition reasons the approver writes (the device shows reason and message). */
export const APPROVED_REASON = 'KubejoinBoundToken';
export const DENIED_REASON = 'KubejoinBoundTokenDenied';

/** Binding and single-use, as read from a Secret's metadata. */
export function bindingOf(metadata: { annotations?: Record<string, string> } | undefined): { nodeName?: string; singleUse: boolean } {
  const a = metadata?.annotations ?? {};
  const nodeName = a[NODE_ANNOTATION];
  return { ...(nodeName ? { nodeName } : {}), singleUse: a[SINGLE_USE_ANNOTATION] === 'true' };
}
