/**
 * FCM through firebase-admin's messaging (`sendEach`, the HTTP v1 API): one message per token with the memory in the
 * data payload. Tokens FCM calls unregistered or invalid come back `invalid` (the caller removes them); transient
 * failures (unavailable, internal, quota) are retried with backoff for those tokens only.
 */
import type { Messaging } from "firebase-admin/messaging";
import pRetry from "p-retry";
import type { Notifier, PushMessage, TokenOutcome } from "./types.js";

/** Error codes that mean the token will never work again. */
const DEAD_TOKEN = new Set([
  "messaging/registration-token-not-registered",
  "messaging/invalid-registration-token",
  "messaging/invalid-argument",
]);
/** Error codes worth another try. */
const TRANSIENT = new Set([
  "messaging/internal-error",
  "messaging/server-unavailable",
  "messaging/unknown-error",
  "messaging/quota-exceeded",
  "messaging/message-rate-exceeded",
  "app/network-error",
  "app/network-timeout",
]);

/** The part of firebase-admin's Messaging we use (so tests can hand in a stand-in when FCM is out of reach). */
export type MessagingClient = Pick<Messaging, "sendEach">;

export class FcmNotifier implements Notifier {
  readonly delivery = "fcm";

  constructor(
    private readonly messaging: () => MessagingClient,
    private readonly retries = 3,
    private readonly minRetryDelayMs = 500,
  ) {}

  async send(tokens: string[], message: PushMessage): Promise<TokenOutcome[]> {
    const outcomes = new Map<string, TokenOutcome>();
    let pending = [...new Set(tokens)];
    await pRetry(
      async () => {
        const response = await this.messaging().sendEach(
          pending.map((token) => ({
            token,
            notification: { title: message.title, body: message.body },
            data: message.data,
            android: { priority: "normal" },
            apns: { payload: { aps: { sound: "default" } } },
          })),
        );
        const again: string[] = [];
        response.responses.forEach((r, i) => {
          const token = pending[i];
          if (r.success) return void outcomes.set(token, { token, status: "sent", messageId: r.messageId ?? "" });
          const code = r.error?.code ?? "unknown";
          if (DEAD_TOKEN.has(code)) outcomes.set(token, { token, status: "invalid", error: code });
          else {
            outcomes.set(token, { token, status: "failed", error: code });
            if (TRANSIENT.has(code)) again.push(token);
          }
        });
        pending = again;
        if (again.length) throw new Error(`FCM: ${again.length} token(s) failed transiently`);
      },
      { retries: this.retries, minTimeout: this.minRetryDelayMs, factor: 2 },
    ).catch(() => undefined); // what still failed is reported per token
    return tokens.map((t) => outcomes.get(t) ?? { token: t, status: "failed", error: "not sent" });
  }
}
