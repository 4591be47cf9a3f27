// Talking to a proven cluster: the bootstrap and node sessions, the API call policy, and
// the one SelfSubjectReview.
export { callApi, transportFailure, type ClusterApi } from './api.js';
export { bootstrapSession, openNodeSession, type NodeSession, type SessionOptions } from './node.js';
export { parseSelfSubjectReview, proveIdentity, whoAmI, type ClusterAnswer } from './whoami.js';
