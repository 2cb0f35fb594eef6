// A real SMTP server in the test process (smtp-server, by the nodemailer authors): it records the SMTP
// conversation — envelope sender, every RCPT, the message — and can refuse recipients, logins or data.
import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  /** MAIL FROM and RCPT TO of the SMTP conversation. */
  envelopeFrom: string;
  envelopeTo: string[];
  /** The user that authenticated, if any. */
  user: string | null;
  raw: string;
  parsed: ParsedMail;
}

export interface TestSmtpOptions {
  /** Require this login (AUTH PLAIN/LOGIN over the plain connection). */
  auth?: { user: string; pass: string };
  /** Answer RCPT TO of these addresses with 550. */
  rejectRecipients?: readonly string[];
  /** Answer the message data with 451 (a temporary failure). */
  failData?: boolean;
}

export class TestSmtpServer {
  readonly received: ReceivedMail[] = [];
  /** Every RCPT TO the server was asked, accepted or not. */
  readonly rcptAttempts: string[] = [];
  port = 0;
  private readonly server: SMTPServer;

  constructor(private readonly options: TestSmtpOptions = {}) {
    this.server = new SMTPServer({
      // The client must not try STARTTLS against the built-in self-signed certificate.
      disabledCommands: options.auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
      authOptional: !options.auth,
      allowInsecureAuth: true,
      logger: false,
      // Closing does not wait long for the client's pooled connections to say QUIT.
      closeTimeout: 200,
      onAuth: (auth, _session, callback) => {
        const want = this.options.auth;
        if (want && auth.username === want.user && auth.password === want.pass)
          return callback(null, { user: auth.username });
        return callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
      },
      onRcptTo: (address, _session, callback) => {
        this.rcptAttempts.push(address.address);
        if (this.options.rejectRecipients?.includes(address.address))
          return callback(
            Object.assign(new Error(`5.1.1 <${address.address}>: mailbox unavailable`), {
              responseCode: 550,
            }),
          );
        return callback();
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          if (this.options.failData)
            return callback(Object.assign(new Error('4.3.0 Try again later'), { responseCode: 451 }));
          const raw = Buffer.concat(chunks).toString('utf8');
          simpleParser(raw).then(
            (parsed) => {
              this.received.push({
                envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
                envelopeTo: session.envelope.rcptTo.map((r) => r.address),
                user: typeof session.user === 'string' ? session.user : null,
                raw,
                parsed,
              });
              callback();
            },
            (e: Error) => callback(e),
          );
        });
      },
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.server.address() as AddressInfo).port;
    return this;
  }

  /** Resolves once `n` messages were received; fails after `timeoutMs`. */
  async waitFor(n: number, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length < n) {
      if (Date.now() > deadline) throw new Error(`expected ${n} emails, got ${this.received.length}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
