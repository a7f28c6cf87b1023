/**
 * Builds Redis keys under the configured prefix. Every user-supplied part is URI-encoded so it
 * can contain neither the `:` separator nor the `{}` of a Cluster hash tag.
 */
export const keyPart = (part: string): string => encodeURIComponent(part);

export const redisKey = (prefix: string, ...parts: string[]): string =>
  [prefix, ...parts.map(keyPart)].join(':');
