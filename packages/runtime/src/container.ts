import { CoreContext, UseCases } from '@billing-center/core';
import type { Container } from 'inversify';
import type { Runtime } from './runtime.js';

export const RuntimeToken = Symbol('Runtime');

/**
 * Binds what every app shares: the runtime itself, the core's context and its use cases. Each app's
 * own container file calls this and then binds its delivery parts.
 */
export function bindRuntime(container: Container, runtime: Runtime): void {
  container.bind<Runtime>(RuntimeToken).toConstantValue(runtime);
  container.bind<CoreContext>(CoreContext).toConstantValue(runtime.ctx);
  container.bind<UseCases>(UseCases).toConstantValue(runtime.useCases);
}
