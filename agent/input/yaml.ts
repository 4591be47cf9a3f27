import type { ParseOptions, SchemaOptions, ScalarTag } from 'yaml';

// kubeadm reads its files through sigs.k8s.io/yaml, i.e. go-yaml v2: YAML 1.1 booleans, so
// `unsafeSkipCAVerification: no` is false, not the string "no" a YAML 1.2 parser would make
// of it (a string that is "truthy"). These options make the `yaml` package resolve plain
// scalars the same way; a quoted "false" stays a string, which a boolean field refuses, as
// kubeadm does.

const TRUE = /^(?:y|Y|yes|Yes|YES|true|True|TRUE|on|On|ON)$/;
const FALSE = /^(?:n|N|no|No|NO|false|False|FALSE|off|Off|OFF)$/;

/** go-yaml v2's boolean resolution (its resolve table), for plain scalars only. */
const goYamlBool: ScalarTag = {
  identify: (value) => typeof value === 'boolean',
  default: true,
  tag: 'tag:yaml.org,2002:bool',
  test: new RegExp(`${TRUE.source}|${FALSE.source}`),
  resolve: (text) => TRUE.test(text),
  stringify: ({ value }) => (value ? 'true' : 'false'),
};

/** Options for parseDocument/parseAllDocuments: YAML 1.2 core schema with go-yaml v2's booleans. */
export const KUBEADM_YAML: ParseOptions & SchemaOptions = {
  customTags: (tags) => [goYamlBool, ...tags.filter((t) => typeof t !== 'object' || t.tag !== goYamlBool.tag)],
};
