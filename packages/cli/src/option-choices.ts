/**
 * The choices of enumerated flags. They live apart from the code that uses them so the command line can be defined
 * (and `--help` shown) without loading that code.
 */
export const policyFormats = ['json', 'yaml', 'terraform', 'cloudformation'] as const;
export type PolicyFormat = (typeof policyFormats)[number];
export const policyKinds = ['managed', 'role-inline', 'user-inline'] as const;
export type PolicyKind = (typeof policyKinds)[number];
export const diffFormats = ['text', 'markdown', 'json'] as const;
export type DiffFormat = (typeof diffFormats)[number];
