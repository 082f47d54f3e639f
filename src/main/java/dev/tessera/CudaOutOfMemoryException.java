package dev.tessera;

/** A CUDA allocation failed even after the cache was emptied and the GC had run; the message has the sizes. */
public class CudaOutOfMemoryException extends TesseraException {
    public CudaOutOfMemoryException(String message) { super(message); }
}
