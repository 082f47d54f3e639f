package dev.tessera.distributed;

import dev.tessera.TesseraException;

/**
 * A rendezvous or store failure: a rank that never arrived, a port already taken, ranks that disagree on
 * the world size or claim one rank twice, a store that cannot be reached or went away, a key not set in
 * time, a launcher variable missing or malformed. PyTorch raises {@code RuntimeError} or its subclass
 * {@code DistStoreError} (timeouts) for these, and {@code ValueError} for the environment variables.
 */
public class DistributedException extends TesseraException {
    public DistributedException(String message) { super(message); }
    public DistributedException(String message, Throwable cause) { super(message, cause); }
}
