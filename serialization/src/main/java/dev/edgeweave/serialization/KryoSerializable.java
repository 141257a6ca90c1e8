package dev.edgeweave.serialization;

/**
 * Marker for internal actor messages (commands with {@code replyTo} refs). Bound to {@link
 * KryoSerializer} in {@code reference.conf}; every concrete class must be registered there with a
 * stable id.
 */
public interface KryoSerializable {}
