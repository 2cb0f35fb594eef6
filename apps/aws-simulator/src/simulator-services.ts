import { inject, injectable } from 'inversify';
import { SimulatorConfig } from './config/simulator-config.js';
import { EventBridgeEvents } from './eventbridge/eventbridge-events.js';
import { HttpPoster } from './eventbridge/http-poster.js';
import { CallLog } from './faults/call-log.js';
import { FaultInjector } from './faults/fault-injector.js';
import { SimulatorClock } from './faults/simulator-clock.js';
import { Marketplace } from './marketplace/marketplace.js';
import { PublicEndpoint } from './sns/public-endpoint.js';
import { SnsDelivery } from './sns/sns-delivery.js';
import { SnsTopics } from './sns/sns-topics.js';

/** Everything the HTTP routes use, resolved once from the container. */
@injectable()
export class SimulatorServices {
  constructor(
    @inject(SimulatorConfig) readonly config: SimulatorConfig,
    @inject(SimulatorClock) readonly clock: SimulatorClock,
    @inject(FaultInjector) readonly faults: FaultInjector,
    @inject(CallLog) readonly calls: CallLog,
    @inject(Marketplace) readonly marketplace: Marketplace,
    @inject(SnsTopics) readonly sns: SnsTopics,
    @inject(SnsDelivery) readonly delivery: SnsDelivery,
    @inject(PublicEndpoint) readonly endpoint: PublicEndpoint,
    @inject(EventBridgeEvents) readonly eventBridge: EventBridgeEvents,
    @inject(HttpPoster) readonly poster: HttpPoster,
  ) {}

  /** Back to a fresh start: no subscriptions, records, SNS subscriptions, deliveries, events, calls, faults or offset. */
  reset(): void {
    this.marketplace.reset();
    this.delivery.reset();
    this.sns.reset();
    this.eventBridge.reset();
    this.eventBridge.createTopics();
    this.poster.reset();
    this.calls.clear();
    this.faults.reset();
    this.clock.offsetMs = 0;
  }
}
