import { describe, expect, it } from 'vitest';
import {
  configFromEnv,
  DEFAULT_FULFILLMENT_URL,
  defaultSimulatorConfig,
  InvalidSimulatorConfigError,
  parseSimulatorConfig,
  simulatorConfig,
} from '../src/config/simulator-config.js';
import { createContainer } from '../src/container.js';
import { SimulatorServer } from '../src/simulator-server.js';
import { retryDelays } from '../src/sns/sns-delivery.js';

describe('simulator configuration', () => {
  it('the defaults are valid: one global and one China product with usage_cost', () => {
    const config = parseSimulatorConfig(defaultSimulatorConfig());
    expect(config.products.map((p) => p.partition)).toEqual(['aws', 'aws-cn']);
    expect(config.products.every((p) => p.dimensions.some((d) => d.name === 'usage_cost'))).toBe(true);
    expect(DEFAULT_FULFILLMENT_URL).toContain('{partition}');
    // each product posts to the fulfillment URL of its own partition
    expect(config.products.map((p) => [p.partition, p.fulfillmentUrl])).toEqual([
      ['aws', 'http://127.0.0.1:3000/marketplace/aws/fulfillment'],
      ['aws-cn', 'http://127.0.0.1:3000/marketplace/aws-cn/fulfillment'],
    ]);
  });

  it('names every problem by its path', () => {
    const bad = { ...defaultSimulatorConfig(), sellerAccountId: '123', tokenTtlSeconds: 0 };
    expect(() => parseSimulatorConfig(bad)).toThrow(InvalidSimulatorConfigError);
    try {
      parseSimulatorConfig(bad);
    } catch (error) {
      const problems = (error as InvalidSimulatorConfigError).problems.join('\n');
      expect(problems).toContain('/sellerAccountId');
      expect(problems).toContain('/tokenTtlSeconds');
    }
    const base = defaultSimulatorConfig();
    expect(() => parseSimulatorConfig({ ...base, products: [base.products[0], base.products[0]] })).toThrow(
      /duplicate productCode/,
    );
    expect(() => simulatorConfig({ sns: { delivery: { minDelayMs: 10, maxDelayMs: 5 } } })).toThrow(
      /maxDelayMs/,
    );
    expect(() => parseSimulatorConfig({ ...base, surprise: true })).toThrow(InvalidSimulatorConfigError);
  });

  it('maps the environment of main: port, fulfillment URL, SNS endpoint', () => {
    const { port, host, config } = configFromEnv({
      AWS_SIMULATOR_PORT: '4600',
      AWS_SIMULATOR_FULFILLMENT_URL: 'http://localhost:3000/fulfil',
      AWS_SIMULATOR_SNS_ENDPOINT: 'http://localhost:3001/sns',
      AWS_SIMULATOR_UNSUBSCRIBE_DELAY_MS: '500',
    });
    expect({ port, host }).toEqual({ port: 4600, host: '127.0.0.1' });
    expect(config.products.every((p) => p.fulfillmentUrl === 'http://localhost:3000/fulfil')).toBe(true);
    expect(config.sns.subscriptions).toEqual([{ topics: 'all', endpoint: 'http://localhost:3001/sns' }]);
    expect(config.unsubscribeDelayMs).toBe(500);
    expect(configFromEnv({}).port).toBe(4566);
    expect(() => configFromEnv({ AWS_SIMULATOR_PORT: 'abc' })).toThrow(InvalidSimulatorConfigError);
  });

  it('the delivery policy: immediate retries, then exponential backoff capped at maxDelayMs', () => {
    expect(
      retryDelays({
        immediateRetries: 3,
        backoffRetries: 4,
        minDelayMs: 1000,
        maxDelayMs: 5000,
        timeoutMs: 1,
      }),
    ).toEqual([0, 0, 0, 1000, 2000, 4000, 5000]);
  });

  it('the container resolves one server over one set of services', () => {
    const container = createContainer(defaultSimulatorConfig());
    const server = container.get(SimulatorServer);
    expect(container.get(SimulatorServer)).toBe(server);
    expect(server.services.sns.marketplaceTopicArn('bcglobal0000000000000001', 'entitlement')).toBe(
      'arn:aws:sns:us-east-1:287250355862:aws-mp-entitlement-notification-bcglobal0000000000000001',
    );
    expect(() => createContainer({})).toThrow(InvalidSimulatorConfigError);
  });
});
