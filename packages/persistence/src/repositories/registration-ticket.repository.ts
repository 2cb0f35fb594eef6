import type { RegistrationTicket, RegistrationTicketRepository } from '@billing-center/core';
import { RegistrationTicketSchema } from '../mapping/entity-schemas.js';
import type { Session } from '../session.js';

export class MikroOrmRegistrationTicketRepository implements RegistrationTicketRepository {
  constructor(private readonly s: Session) {}
  get(id: string) {
    return this.s.get(RegistrationTicketSchema, id);
  }
  add(ticket: RegistrationTicket) {
    return this.s.insert(RegistrationTicketSchema, [ticket]);
  }
  save(ticket: RegistrationTicket) {
    return this.s.update(RegistrationTicketSchema, ticket);
  }
  deleteExpired(before: Date) {
    return this.s.delete(RegistrationTicketSchema, { status: 'open', expiresAt: { $lt: before } });
  }
}
