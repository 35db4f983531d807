/** Webhook delivery metrics: one count per answered delivery, from the ingestion server's hook. */
import type { DeliveryOutcome } from '../ingest/webhook-server.js';
import type { TandemMetrics } from './tandem-metrics.js';

/** Event names as forges send them (`issue_comment`, `pull_request_approved`); anything else is `other`. */
const EVENT_NAME = /^[a-z_]{1,64}$/;

/**
 * The `onDelivery` hook of the webhook server that counts `tandem_webhook_deliveries_total`. The event
 * label is the event header only once the signature is good (`unauthenticated` before), so no stranger
 * can grow the label set.
 */
export function deliveryCounter(
  metrics: Pick<TandemMetrics, 'deliveries'>,
): (delivery: DeliveryOutcome) => void {
  return ({ forge, event, outcome, status }) => {
    let name = 'unauthenticated';
    if (event !== null) {
      name = EVENT_NAME.test(event) ? event : 'other';
    }
    metrics.deliveries.inc({ forge, event: name, outcome, status: String(status) });
  };
}
