// `npm run demo:reset` (with `npm run emulators` running): puts the demo user back as seeded, so the demo memory
// accepts a new upload (after one, it is completed and refuses another with 409 already_post_processed). Deletes
// users/demo-user with everything under it (the job, transcript versions, vectors, voice profile, notifications) and
// writes the seeded user and memory again. Objects in Storage stay (a new upload gets a new job id).
//   npm run demo:reset -- --uid <uid> [--memory <memoryId>]   instead writes a fresh copy of the demo memory for any
//                                                             user (e.g. one made with the Auth emulator's signUp)
// Emulator only: it always talks to the Firestore emulator (FIRESTORE_EMULATOR_HOST, default 127.0.0.1:8080).
import { parseArgs } from "node:util";

process.env.FIRESTORE_EMULATOR_HOST ||= "127.0.0.1:8080";
const { admin, DEMO_MEMORY_ID, DEMO_USER, demoMemoryDoc, userDoc } = await import("./lib.mjs");

const { values } = parseArgs({ options: { uid: { type: "string" }, memory: { type: "string", default: DEMO_MEMORY_ID } } });
const { db, Timestamp } = admin();

try {
  if (values.uid) {
    const user = db.doc(`users/${values.uid}`);
    if (!(await user.get()).exists) await user.set(userDoc(true));
    await db.recursiveDelete(user.collection("memories").doc(values.memory));
    await user.collection("memories").doc(values.memory).set(demoMemoryDoc(Timestamp));
    console.log(`memory users/${values.uid}/memories/${values.memory} written (a fresh copy of the demo memory)`);
  } else {
    await db.recursiveDelete(db.doc(`users/${DEMO_USER.uid}`));
    await db.doc(`users/${DEMO_USER.uid}`).set(userDoc(true));
    await db.doc(`users/${DEMO_USER.uid}/memories/${DEMO_MEMORY_ID}`).set(demoMemoryDoc(Timestamp));
    console.log(`reset: users/${DEMO_USER.uid} and its memory ${DEMO_MEMORY_ID} are as seeded`);
  }
} catch (error) {
  console.error(`could not reach the Firestore emulator at ${process.env.FIRESTORE_EMULATOR_HOST} (is \`npm run emulators\` running?)`);
  throw error;
}
process.exit(0);
