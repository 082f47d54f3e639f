package dev.tessera;

/**
 * What PyTorch raises as {@code RuntimeError}: an op given arguments it cannot work with (shapes,
 * dtypes, devices, autograd misuse). The message names the op and the values.
 *
 * <p>Which Java exception stands for which PyTorch error:
 * <table>
 *   <caption>Tessera's exceptions and PyTorch's</caption>
 *   <tr><th>PyTorch</th><th>Tessera</th></tr>
 *   <tr><td>{@code RuntimeError}</td><td>{@code TesseraException}</td></tr>
 *   <tr><td>{@code IndexError} (dimension or index out of range, embedding index, class target)</td>
 *       <td>{@link TesseraIndexException}, a {@code TesseraException}</td></tr>
 *   <tr><td>{@code torch.cuda.OutOfMemoryError} (a {@code RuntimeError})</td>
 *       <td>{@link CudaOutOfMemoryException}, a {@code TesseraException}</td></tr>
 *   <tr><td>{@code ValueError} (a constructor or hyperparameter argument out of its range: dropout
 *       {@code p}, learning rate)</td><td>{@link IllegalArgumentException} (also for a device string
 *       {@code Device.of} cannot parse, where PyTorch raises {@code RuntimeError})</td></tr>
 *   <tr><td>{@code NotImplementedError} (a module without {@code forward})</td>
 *       <td>{@link UnsupportedOperationException}</td></tr>
 *   <tr><td>{@code TypeError}</td><td>mostly a compile error in Java; {@link IllegalArgumentException}
 *       for an argument of the wrong kind at run time ({@code Module.to} with an integer dtype); a dtype
 *       an op does not take is a {@code TesseraException}, as PyTorch's {@code RuntimeError}</td></tr>
 *   <tr><td>safetensors' {@code SafetensorError}</td><td>{@code dev.tessera.io.SafetensorsException} (an
 *       {@code IOException})</td></tr>
 *   <tr><td>none: PyTorch registers attributes on assignment</td><td>{@link IllegalStateException} for a
 *       Module or Parameter field that was never registered (see {@code Module})</td></tr>
 * </table>
 */
public class TesseraException extends RuntimeException {
    public TesseraException(String message) { super(message); }
    public TesseraException(String message, Throwable cause) { super(message, cause); }
}
