import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * Everything built or run lives outside git: `$AGENT_SANDBOX_CACHE`, else
 * `$XDG_CACHE_HOME/agent-sandbox`, else `~/.cache/agent-sandbox`.
 */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.AGENT_SANDBOX_CACHE) return resolve(env.AGENT_SANDBOX_CACHE);
  if (env.XDG_CACHE_HOME) return join(resolve(env.XDG_CACHE_HOME), 'agent-sandbox');
  return join(homedir(), '.cache', 'agent-sandbox');
}
