/**
 * A minimal program on the runtime for the leader-election test: it reconciles ConfigMaps of
 * --watch-namespace and logs each reconcile. Run with node_modules/.bin/node and the usual
 * manager flags (--kubeconfig, --leader-elect, …).
 */
import { createManager, Kinds, managerFlags, runProgram } from '@agent-sandbox/runtime';

await runProgram({
  name: 'leader-test',
  version: '0.0.0',
  summary: 'Reconciles ConfigMaps while holding the lease (test program).',
  flags: managerFlags,
  async start(ctx) {
    const manager = await createManager(ctx, { name: 'leader-test' });
    manager
      .controller('configmaps')
      .for(Kinds.ConfigMap)
      .complete(async (req, { log }) => {
        log.info({ key: req.key }, 'reconcile');
      });
    await manager.start(ctx.signal);
    return () => manager.stop();
  },
});
