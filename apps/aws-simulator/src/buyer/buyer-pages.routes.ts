import type { FastifyInstance, FastifyReply } from 'fastify';
import { AwsError } from '../aws-json/aws-error.js';
import type { BuyerConfig } from '../config/simulator-config.js';
import type { Subscription } from '../marketplace/marketplace.js';
import type { SimulatorServices } from '../simulator-services.js';
import { esc, page } from './html.js';

type Params = { code: string };
type IdParams = { id: string };
type Query = { buyer?: string };
type Form = Record<string, string | undefined>;

/**
 * The buyer's side of AWS Marketplace, as plain server-rendered HTML: product page → "Continue to
 * subscribe" → "Subscribe" → "Set up your account" (an auto-submitting form that posts
 * `x-amzn-marketplace-token` to the seller's fulfillment URL), and "Your Marketplace software" with
 * "Cancel subscription" and "Resubscribe". The signed-in AWS account is chosen with `buyer`.
 */
export function registerBuyerPages(app: FastifyInstance, services: SimulatorServices): void {
  const mp = services.marketplace;
  const buyerOf = (id: string | undefined): BuyerConfig => {
    const buyer = id ? mp.buyer(id) : mp.buyers()[0];
    if (!buyer) throw new AwsError('NotFound', `unknown buyer ${id}`, 404);
    return buyer;
  };
  const productOf = (code: string) => {
    const product = mp.product(code);
    if (!product) throw new AwsError('NotFound', `unknown product ${code}`, 404);
    return product;
  };
  const html = (reply: FastifyReply, body: string, status = 200) =>
    reply.code(status).header('content-type', 'text/html; charset=utf-8').send(body);
  const buyerSelect = (selected: string) =>
    `<label>Signed in as AWS account <select name="buyer">${mp
      .buyers()
      .map(
        (b) =>
          `<option value="${esc(b.awsAccountId)}"${b.awsAccountId === selected ? ' selected' : ''}>${esc(b.awsAccountId)} (${esc(b.name)})</option>`,
      )
      .join('')}</select></label>`;

  app.get<{ Querystring: Query }>('/marketplace', async (request, reply) => {
    const buyer = buyerOf(request.query.buyer);
    const items = mp
      .products()
      .map(
        (p) =>
          `<li><a href="/marketplace/pp/${esc(p.productCode)}?buyer=${esc(buyer.awsAccountId)}">${esc(p.title)}</a> <span class="note">${esc(p.productCode)}, ${esc(p.partition)}</span></li>`,
      )
      .join('');
    return html(reply, page('Products', `<h1>Products</h1><ul>${items}</ul>`));
  });

  app.get<{ Params: Params; Querystring: Query }>('/marketplace/pp/:code', async (request, reply) => {
    const product = productOf(request.params.code);
    const buyer = buyerOf(request.query.buyer);
    const dims = product.dimensions
      .map((d) => `<tr><td>${esc(d.name)}</td><td>${esc(d.description)}</td></tr>`)
      .join('');
    return html(
      reply,
      page(
        product.title,
        `<h1>${esc(product.title)}</h1>
<p class="note">Product code ${esc(product.productCode)} · partition ${esc(product.partition)} · SaaS, pay as you go</p>
<table><tr><th>Dimension</th><th>Description</th></tr>${dims}</table>
<form method="get" action="/marketplace/pp/${esc(product.productCode)}/procurement">
${buyerSelect(buyer.awsAccountId)}
<p><button type="submit">Continue to subscribe</button></p>
</form>`,
      ),
    );
  });

  app.get<{ Params: Params; Querystring: Query }>(
    '/marketplace/pp/:code/procurement',
    async (request, reply) => {
      const product = productOf(request.params.code);
      const buyer = buyerOf(request.query.buyer);
      const existing = mp.listSubscriptions({
        productCode: product.productCode,
        buyerAccountId: buyer.awsAccountId,
      })[0];
      return html(
        reply,
        page(
          `Subscribe to ${product.title}`,
          `<h1>Subscribe to ${esc(product.title)}</h1>
<p>Offer ${esc(product.offerId)} for AWS account ${esc(buyer.awsAccountId)}.${existing ? ` Current subscription: ${esc(existing.state)}.` : ''}</p>
<form method="post" action="/marketplace/pp/${esc(product.productCode)}/subscribe">
<input type="hidden" name="buyer" value="${esc(buyer.awsAccountId)}">
<button type="submit">Subscribe</button>
</form>`,
        ),
      );
    },
  );

  app.post<{ Params: Params; Body: Form }>('/marketplace/pp/:code/subscribe', async (request, reply) => {
    const product = productOf(request.params.code);
    const buyer = buyerOf(request.body?.buyer);
    const sub = mp.subscribe(product.productCode, buyer.awsAccountId);
    if (sub.state === 'failed') {
      return html(
        reply,
        page(
          'Subscription failed',
          `<h1>Subscription failed</h1><p>The payment method of ${esc(buyer.awsAccountId)} was declined.</p>`,
        ),
        402,
      );
    }
    return html(
      reply,
      page(
        'Thank you for subscribing',
        `<h1>Thank you for subscribing to ${esc(product.title)}</h1>
<p>Subscription ${esc(sub.id)} is ${esc(sub.state)}. Complete your registration with the seller.</p>
${setupForm(product.productCode, buyer.awsAccountId)}`,
      ),
    );
  });

  app.post<{ Params: Params; Body: Form }>('/marketplace/pp/:code/setup', async (request, reply) => {
    const product = productOf(request.params.code);
    const buyer = buyerOf(request.body?.buyer);
    const sub = mp
      .listSubscriptions({ productCode: product.productCode, buyerAccountId: buyer.awsAccountId })
      .find((s) => s.state === 'active' || s.state === 'unsubscribe-pending');
    if (!sub)
      return html(
        reply,
        page('No subscription', `<h1>No active subscription</h1><p>Subscribe first.</p>`),
        409,
      );
    const token = mp.issueToken(sub.id);
    // As AWS does: the browser posts the token to the fulfillment URL through a form that submits itself.
    return html(
      reply,
      page(
        'Set up your account',
        `<h1>Redirecting to the seller…</h1>
<form id="fulfillment" method="post" action="${esc(product.fulfillmentUrl)}" enctype="application/x-www-form-urlencoded">
<input type="hidden" name="x-amzn-marketplace-token" value="${esc(token)}">
<noscript><button type="submit">Set up your account</button></noscript>
</form>
<script>document.getElementById('fulfillment').submit();</script>`,
      ),
    );
  });

  app.get<{ Querystring: Query }>('/marketplace/library', async (request, reply) => {
    const buyer = buyerOf(request.query.buyer);
    const rows = mp
      .listSubscriptions({ buyerAccountId: buyer.awsAccountId })
      .map((s) => libraryRow(s, mp.product(s.productCode)?.title ?? s.productCode))
      .join('');
    return html(
      reply,
      page(
        'Your Marketplace software',
        `<h1>Your Marketplace software</h1>
<form method="get" action="/marketplace/library">${buyerSelect(buyer.awsAccountId)} <button type="submit">Switch</button></form>
<table><tr><th>Product</th><th>Subscription</th><th>Status</th><th></th></tr>${rows || '<tr><td colspan="4">No subscriptions</td></tr>'}</table>`,
      ),
    );
  });

  app.post<{ Params: IdParams }>('/marketplace/library/:id/cancel', async (request, reply) => {
    const sub = mp.cancel(request.params.id);
    return reply.redirect(`/marketplace/library?buyer=${encodeURIComponent(sub.buyerAccountId)}`, 303);
  });

  app.post<{ Params: IdParams }>('/marketplace/library/:id/resubscribe', async (request, reply) => {
    const sub = mp.resubscribe(request.params.id);
    return reply.redirect(`/marketplace/library?buyer=${encodeURIComponent(sub.buyerAccountId)}`, 303);
  });
}

function setupForm(productCode: string, buyer: string): string {
  return `<form method="post" action="/marketplace/pp/${esc(productCode)}/setup">
<input type="hidden" name="buyer" value="${esc(buyer)}">
<button type="submit">Set up your account</button>
</form>`;
}

function libraryRow(s: Subscription, title: string): string {
  const action = (path: string, label: string) =>
    `<form method="post" action="/marketplace/library/${esc(s.id)}/${path}" style="display:inline"><button type="submit">${label}</button></form>`;
  const buttons =
    s.state === 'active'
      ? `${setupForm(s.productCode, s.buyerAccountId)} ${action('cancel', 'Cancel subscription')}`
      : action('resubscribe', 'Resubscribe');
  return `<tr><td>${esc(title)}</td><td>${esc(s.id)}<br><span class="note">${esc(s.licenseArn)}</span></td><td>${esc(s.state)}</td><td>${buttons}</td></tr>`;
}
