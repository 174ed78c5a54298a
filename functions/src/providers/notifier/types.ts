/** The notifier role: a push notification to the user's devices, with a per-token result. */

export interface PushMessage {
  title: string;
  body: string;
  /** Handed to the app with the notification (e.g. which memory to open). */
  data: Record<string, string>;
}

export type TokenOutcome =
  | { token: string; status: "sent"; messageId: string }
  /** The token is dead (uninstalled app, expired registration): remove it, never retry. */
  | { token: string; status: "invalid"; error: string }
  | { token: string; status: "failed"; error: string };

export interface Notifier {
  /** "fcm", or "local" (records only: nothing is delivered). */
  readonly delivery: "fcm" | "local";
  send(tokens: string[], message: PushMessage): Promise<TokenOutcome[]>;
}
