module app {
    requires dev.tessera;
    requires info.picocli;
    requires com.google.gson;
    opens app to info.picocli;
}
