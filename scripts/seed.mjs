// Seeds the emulators with the demo data; `npm run seed:export` runs it and exports the result to emulator-data/.
import { admin, DEMO_MEMORY_ID, DEMO_USER, demoMemoryDoc, OTHER_USER, otherMemoryDoc, userDoc } from "./lib.mjs";

const { auth, db, Timestamp } = admin();

for (const user of [DEMO_USER, OTHER_USER]) {
  await auth.createUser({ ...user, emailVerified: true });
}
await db.doc(`users/${DEMO_USER.uid}`).set(userDoc(true));
await db.doc(`users/${OTHER_USER.uid}`).set(userDoc(false));
await db.doc(`users/${DEMO_USER.uid}/memories/${DEMO_MEMORY_ID}`).set(demoMemoryDoc(Timestamp));
await db.doc(`users/${OTHER_USER.uid}/memories/other-memory`).set(otherMemoryDoc(Timestamp));
console.log("seeded: users demo-user, other-user; memories demo-memory, other-memory");
