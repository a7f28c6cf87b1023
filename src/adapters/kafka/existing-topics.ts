import type { Admin } from 'kafkajs';

/** The topics that exist: kafkajs retries for seconds before failing on a missing one. */
export async function existingTopics(admin: Admin, topics: string[]): Promise<string[]> {
  const known = new Set(await admin.listTopics());
  return topics.filter((topic) => known.has(topic));
}
