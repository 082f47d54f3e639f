package dev.tessera;

/**
 * What PyTorch raises as {@code RuntimeError}: an op given arguments it cannot work with (shapes,
 * dtypes, devices, autograd misuse). The message names the op and the values.
 */
public class TesseraException extends RuntimeException {
    public TesseraException(String message) { super(message); }
    public TesseraException(String message, Throwable cause) { super(message, cause); }
}
