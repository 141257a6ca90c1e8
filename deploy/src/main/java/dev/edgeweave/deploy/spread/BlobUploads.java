package dev.edgeweave.deploy.spread;

/**
 * What a node's blob server has sent its peers since it started: uploads finished, bytes sent (cut
 * uploads included) and requests refused because the blob's or the server's upload slots were all
 * taken.
 */
public record BlobUploads(long uploads, long bytes, long busyRefusals) {}
