import type { Location, PolicyTarget } from './located.js';
import { locateInStructuredFile } from './structured-file.js';
import { locateInTerraform } from './terraform-file.js';

export type { Location, PolicyTarget } from './located.js';
export { isUnsupported } from './located.js';

/**
 * Finds the policy an entry points at in a file's text. Pure: the caller reads and writes files. Kinds:
 * a JSON/YAML policy document, a CloudFormation/SAM template (JSON or YAML), a Terraform file.
 */
export function locatePolicy(text: string, file: string, target: PolicyTarget): Location {
  if (/\.tf$/i.test(file)) return locateInTerraform(text, target);
  if (/\.(json|ya?ml|template)$/i.test(file)) return locateInStructuredFile(text, file, target);
  return {
    unsupported: `${file}: iamgen edits JSON and YAML policy documents, CloudFormation/SAM templates and Terraform (.tf) files`,
  };
}
