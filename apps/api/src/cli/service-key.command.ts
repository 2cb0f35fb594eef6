import { type Actor, isDomainError, SERVICE_KEY_SCOPES, type UseCases } from '@billing-center/core';

export const SERVICE_KEY_USAGE = `Usage:
  service-key issue --name <name> --scope <scope> [--scope <scope> ...] [--by <operator>]
  service-key list
  service-key revoke <keyId> [--by <operator>]

Scopes: ${SERVICE_KEY_SCOPES.join(', ')}.
The key (bcs_…) is printed once, when it is issued: store it in the platform's secret store.
The database and the other settings come from the same environment variables as the API server.`;

export interface CommandOutput {
  out(line: string): void;
  err(line: string): void;
}

interface Parsed {
  command: string | undefined;
  positional: string[];
  options: Map<string, string[]>;
}

function parse(args: readonly string[]): Parsed {
  const options = new Map<string, string[]>();
  const positional: string[] = [];
  for (let i = 0; i < args.length; i += 1) {
    const a = args[i] as string;
    if (a.startsWith('--')) {
      const [flag, inline] = a.slice(2).split('=', 2) as [string, string | undefined];
      const value = inline ?? args[i + 1];
      if (inline === undefined) i += 1;
      if (value === undefined || value.startsWith('--')) throw new UsageError(`--${flag} needs a value.`);
      options.set(flag, [...(options.get(flag) ?? []), value]);
    } else positional.push(a);
  }
  const [command, ...rest] = positional;
  return { command, positional: rest, options };
}

class UsageError extends Error {}

/**
 * Issues, lists and revokes platform service keys through the core's use cases (audited as the operator
 * named by --by). Returns the process exit code: 0 done, 1 refused by the core, 2 bad usage.
 */
export async function runServiceKeyCommand(
  args: readonly string[],
  useCases: Pick<UseCases, 'issueServiceKey' | 'listServiceKeys' | 'revokeServiceKey'>,
  io: CommandOutput,
  defaultOperator = process.env.USER || 'cli',
): Promise<number> {
  let parsed: Parsed;
  try {
    parsed = parse(args);
    const known = new Set(['name', 'scope', 'by']);
    for (const flag of parsed.options.keys())
      if (!known.has(flag)) throw new UsageError(`Unknown option --${flag}.`);
  } catch (e) {
    io.err(`${(e as Error).message}\n\n${SERVICE_KEY_USAGE}`);
    return 2;
  }
  const { command, positional, options } = parsed;
  const by: Actor = { type: 'operator', operatorId: options.get('by')?.[0] ?? defaultOperator };
  try {
    switch (command) {
      case 'issue': {
        const name = options.get('name')?.[0];
        const scopes = options.get('scope') ?? [];
        if (!name || scopes.length === 0)
          throw new UsageError('issue needs --name and at least one --scope.');
        const { serviceKey, key } = await useCases.issueServiceKey.execute({ by, name, scopes });
        io.out(
          `Issued service key ${serviceKey.id} "${serviceKey.name}" with scopes ${serviceKey.scopes.join(', ')}.`,
        );
        io.out("The key is shown only now; store it in the platform's secret store:");
        io.out(key);
        return 0;
      }
      case 'list': {
        const keys = await useCases.listServiceKeys.execute({ by });
        if (keys.length === 0) io.out('No service keys.');
        for (const k of keys) {
          const state = k.revokedAt ? `revoked ${k.revokedAt.toISOString()}` : 'active';
          const used = k.lastUsedAt ? `last used ${k.lastUsedAt.toISOString()}` : 'never used';
          io.out(`${k.id}  ${k.name}  [${k.scopes.join(', ')}]  ${state}, ${used}`);
        }
        return 0;
      }
      case 'revoke': {
        const keyId = positional[0];
        if (!keyId) throw new UsageError('revoke needs the key id.');
        const revoked = await useCases.revokeServiceKey.execute({ by, keyId });
        io.out(`Revoked service key ${revoked.id} "${revoked.name}".`);
        return 0;
      }
      default:
        throw new UsageError(command ? `Unknown command "${command}".` : 'Name a command.');
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`${e.message}\n\n${SERVICE_KEY_USAGE}`);
      return 2;
    }
    if (isDomainError(e)) {
      io.err(`${e.code}: ${e.message}`);
      return 1;
    }
    throw e;
  }
}
