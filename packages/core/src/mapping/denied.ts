import type { IamCatalog } from '../iam-catalog.js';
import { qualifiedName } from '../iam-catalog.js';
import type { Access } from '../types.js';

/**
 * `… is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::b/k because …` and variants. Kept as
 * source text in the syntax JavaScript and Athena's regular expressions share, as Athena extracts it too; written
 * without `?` (`{0,1}`, capturing groups only) so nothing in the SQL can be taken for a parameter placeholder.
 * Groups: 1 the action, 3 the resource.
 */
export const denialMessagePattern =
  'not authorized to perform:{0,1}\\s+([a-z0-9-]+:[A-Za-z0-9]+)(\\s+on resource:{0,1}\\s+"{0,1}(arn:[^\\s"]+|\\*)){0,1}';
const denialMessage = new RegExp(denialMessagePattern);

/** The action and resource an access-denied message names, when it names a real action. */
export function parseDenial(message: string | undefined, catalog: IamCatalog): Access | undefined {
  if (message === undefined) return undefined;
  const match = denialMessage.exec(message);
  if (!match) return undefined;
  const action = catalog.actionByQualifiedName(match[1] ?? '');
  if (action === undefined) return undefined;
  const resource = match[3]?.replace(/[.,;]$/, '') ?? '*';
  return { action: qualifiedName(action), resource };
}
