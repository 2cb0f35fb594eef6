import { Container } from 'inversify';
import { parseSimulatorConfig, SimulatorConfig } from './config/simulator-config.js';
import { EventBridgeEvents } from './eventbridge/eventbridge-events.js';
import { HttpPoster } from './eventbridge/http-poster.js';
import { CallLog } from './faults/call-log.js';
import { FaultInjector } from './faults/fault-injector.js';
import { SimulatorClock } from './faults/simulator-clock.js';
import { LifecycleNotifications, Marketplace } from './marketplace/marketplace.js';
import { SimulatorServer } from './simulator-server.js';
import { SimulatorServices } from './simulator-services.js';
import { MarketplaceNotifications } from './sns/marketplace-notifications.js';
import { PublicEndpoint } from './sns/public-endpoint.js';
import { SnsDelivery } from './sns/sns-delivery.js';
import { SnsTopics } from './sns/sns-topics.js';

/** The composition root: the validated configuration and one instance of each part of the simulator. */
export function createContainer(config: unknown): Container {
  const container = new Container();
  container.bind<SimulatorConfig>(SimulatorConfig).toConstantValue(parseSimulatorConfig(config));
  container.bind(SimulatorClock).toSelf().inSingletonScope();
  container.bind(FaultInjector).toSelf().inSingletonScope();
  container.bind(CallLog).toSelf().inSingletonScope();
  container.bind(PublicEndpoint).toSelf().inSingletonScope();
  container.bind(SnsDelivery).toSelf().inSingletonScope();
  container.bind(SnsTopics).toSelf().inSingletonScope();
  container.bind(HttpPoster).toSelf().inSingletonScope();
  container.bind(EventBridgeEvents).toSelf().inSingletonScope();
  container.bind(Marketplace).toSelf().inSingletonScope();
  container.bind(SimulatorServices).toSelf().inSingletonScope();
  container.bind(SimulatorServer).toSelf().inSingletonScope();
  container
    .bind<LifecycleNotifications>(LifecycleNotifications)
    .to(MarketplaceNotifications)
    .inSingletonScope();
  return container;
}
