/**
 * Push-notification delivery for the A2A server: an SSRF guard for client-chosen webhook URLs and
 * an ordered, bounded, retrying sender.
 *
 * @module
 */

export {
  PushDeliveryError,
  type PushErrorInfo,
  type PushFailureCode,
  PushSender,
  type PushSenderOptions,
} from './sender.js';
export {
  type AddressPolicy,
  isBlockedAddress,
  PushTargetRejectedError,
  type ResolvedTarget,
  resolveWebhookTarget,
} from './ssrf.js';
