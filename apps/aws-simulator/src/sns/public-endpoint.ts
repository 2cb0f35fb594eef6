import { inject, injectable } from 'inversify';
import { SimulatorConfig } from '../config/simulator-config.js';

/**
 * The base URL at which endpoints reach the simulator: the configured `publicUrl`, else the address the
 * server listens on (set at listen), else the default port on loopback.
 */
@injectable()
export class PublicEndpoint {
  private listening: string | null = null;

  constructor(@inject(SimulatorConfig) private readonly config: SimulatorConfig) {}

  get baseUrl(): string {
    return this.config.publicUrl ?? this.listening ?? 'http://127.0.0.1:4566';
  }

  setListeningAddress(url: string): void {
    this.listening = url;
  }
}
