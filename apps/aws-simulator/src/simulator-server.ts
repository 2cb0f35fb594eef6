import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { inject, injectable } from 'inversify';
import { buildSimulatorApp } from './app.js';
import { SimulatorServices } from './simulator-services.js';

/** The simulator listening on a port. Once the address is known, configured SNS endpoints are subscribed. */
@injectable()
export class SimulatorServer {
  private app: FastifyInstance | null = null;

  constructor(@inject(SimulatorServices) readonly services: SimulatorServices) {}

  /** Starts listening (port 0: an ephemeral one) and answers the base URL. */
  async listen(port: number, host = '127.0.0.1', options: FastifyServerOptions = {}): Promise<string> {
    this.app = await buildSimulatorApp(this.services, options);
    await this.app.listen({ port, host });
    const address = this.app.server.address();
    const actualPort = typeof address === 'object' && address ? address.port : port;
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`;
    this.services.endpoint.setListeningAddress(url);
    this.services.sns.subscribeConfigured();
    return this.services.endpoint.baseUrl;
  }

  async close(): Promise<void> {
    this.services.reset();
    await this.app?.close();
    this.app = null;
  }
}
