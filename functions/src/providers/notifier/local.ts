/** The notifier for the emulators, where FCM cannot be reached: nothing is delivered, the record says so. */
import type { Notifier, PushMessage, TokenOutcome } from "./types.js";

export class LocalNotifier implements Notifier {
  readonly delivery = "local";

  async send(tokens: string[], _message: PushMessage): Promise<TokenOutcome[]> {
    return tokens.map((token) => ({ token, status: "failed", error: "local notifier: not delivered (no FCM here)" }));
  }
}
