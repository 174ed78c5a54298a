/** The HTTPS API: routes, and the one place errors become `{error: {code, message}}` responses. */
import express, { type NextFunction, type Request, type Response } from "express";
import { HttpError } from "../errors.js";
import * as logs from "../logs.js";
import { JobRefusedError } from "../store/jobs.js";
import { assignSpeakerLabel } from "./assignSpeaker.js";
import { getJob } from "./getJob.js";
import { openUploadSession } from "./openUploadSession.js";
import { uploadForPostProcessing } from "./uploadForPostProcessing.js";
import {
  deleteRecordingPermission,
  getRecordingPermission,
  RECORDING_PERMISSION_ROUTE,
  setRecordingPermission,
} from "./recordingPermission.js";
import { refusalError } from "./refusals.js";
import { rerunStage } from "./rerunStage.js";
import { searchMemories, type SearchDeps } from "./searchMemories.js";
import { getUsage } from "./usage.js";
import {
  addPersonSample,
  createPerson,
  getSpeechProfiles,
  reembedSpeechProfiles,
  renamePerson,
  uploadOwnVoice,
} from "./speechProfiles.js";

const methodNotAllowed = (allowed: string) => (_req: Request, res: Response) => {
  res
    .status(405)
    .set("Allow", allowed)
    .json({ error: { code: "method_not_allowed", message: `Use ${allowed}.` } });
};

export type ApiDeps = SearchDeps;

export function createApi(deps: ApiDeps): express.Express {
  const app = express();
  app.disable("x-powered-by");
  // Each path answers its methods, and a JSON 405 naming them to any other.
  type Method = "get" | "post" | "patch" | "delete";
  const resource = (path: string, handlers: Partial<Record<Method, express.RequestHandler>>) => {
    for (const [method, handler] of Object.entries(handlers)) app[method as Method](path, handler);
    app.all(path, methodNotAllowed(Object.keys(handlers).join(", ").toUpperCase()));
  };
  const route = (method: Method, path: string, handler: express.RequestHandler) =>
    resource(path, { [method]: handler });
  route("post", "/v1/memories/:memoryId/post-processing", uploadForPostProcessing);
  route("post", "/v1/memories/:memoryId/post-processing/upload-session", openUploadSession);
  route("get", "/v1/memories/:memoryId/post-processing/jobs/:jobId", getJob);
  route("post", "/v1/memories/:memoryId/post-processing/stages/:stage", rerunStage);
  route("post", "/v1/memories/:memoryId/speakers/:label/assign", assignSpeakerLabel);
  route("get", "/v1/memories/search", searchMemories(deps));
  route("post", "/v3/upload-audio", uploadOwnVoice);
  route("post", "/v1/users/people", createPerson);
  route("patch", "/v1/users/people/:personId", renamePerson);
  route("post", "/v1/users/people/:personId/speech-samples", addPersonSample);
  route("get", "/v1/users/speech-profile", getSpeechProfiles);
  route("get", "/v1/users/usage", getUsage);
  route("post", "/v1/users/speech-profile/reembed", reembedSpeechProfiles);
  resource(RECORDING_PERMISSION_ROUTE, {
    get: getRecordingPermission,
    post: setRecordingPermission,
    delete: deleteRecordingPermission,
  });
  app.use((_req: Request, res: Response) => {
    res.status(404).json({ error: { code: "not_found", message: "No such endpoint." } });
  });
  app.use((caught: unknown, req: Request, res: Response, _next: NextFunction) => {
    const err = caught instanceof JobRefusedError ? refusalError(caught.refusal) : caught;
    const ctx = {
      memoryId: typeof req.params?.memoryId === "string" ? req.params.memoryId : undefined,
      route: req.path,
    };
    if (err instanceof HttpError) {
      logs.requestRefused(ctx, { status: err.status, code: err.code, message: err.message });
      if (err.retryAfterSeconds !== undefined) res.set("Retry-After", String(err.retryAfterSeconds));
      res.status(err.status).json({ error: { code: err.code, message: err.message, ...err.details } });
      return;
    }
    logs.requestFailed(ctx, err);
    res.status(500).json({ error: { code: "internal", message: "Internal error; nothing was changed." } });
  });
  return app;
}
