import type { ModelsPolicy, Role } from '../config/repo-policy.js';
import { ROLES } from '../config/repo-policy.js';
import type { ConfigIssue } from '../errors/index.js';
import type { ModelCatalog } from './catalog.js';

/**
 * Checks a repository's `models` policy against the server catalog. Returns one issue per problem, with
 * dotted paths such as `models.developer.escalation[1]`: an alias the catalog does not have, an alias of
 * the wrong kind (a role needs a `chat` alias, `models.embedding` an `embedding` one), or an alias marked
 * `remote` while the policy says `privacy: local-only`. Each message names the fix (the aliases the
 * catalog has; the `models.privacy` key, or the catalog's local aliases). Empty list: the policy is
 * usable.
 * (URLs and provider-qualified names never get this far: `AliasName` in the policy schema refuses them.)
 */
export function validatePolicyModels(models: ModelsPolicy, catalog: ModelCatalog): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const check = (alias: string, path: string, kind: 'chat' | 'embedding' = 'chat'): void => {
    const entry = catalog.models[alias];
    const known = Object.keys(catalog.models)
      .filter((a) => catalog.models[a]?.kind === kind)
      .sort();
    const local = known.filter((a) => catalog.models[a]?.remote !== true);
    if (entry === undefined) {
      issues.push({
        path,
        message: `unknown model alias "${alias}"; the server catalog has these ${kind} aliases: ${known.join(', ') || '(none)'}`,
      });
    } else if (entry.kind !== kind) {
      issues.push({
        path,
        message: `model alias "${alias}" is a${entry.kind === 'chat' ? ' chat' : 'n embedding'} model; this needs a${kind === 'chat' ? ' chat' : 'n embedding'} alias (${known.join(', ') || 'the catalog has none'})`,
      });
    } else if (entry.remote && models.privacy === 'local-only') {
      issues.push({
        path,
        message:
          `model alias "${alias}" is remote, and privacy is local-only: set \`models.privacy: any\` ` +
          'in the policy to allow remote aliases' +
          (local.length > 0 ? `, or use a local one (${local.join(', ')})` : ''),
      });
    }
  };
  for (const role of ROLES) {
    const r = models[role satisfies Role];
    check(r.alias, `models.${role}.alias`);
    r.escalation.forEach((alias, i) => check(alias, `models.${role}.escalation[${i}]`));
  }
  if (models.embedding !== undefined) {
    check(models.embedding, 'models.embedding', 'embedding');
  }
  return issues;
}
