import java.io.*;
import java.nio.charset.StandardCharsets;
import java.util.regex.*;

/**
 * Allow-all stand-in for firebase-tools' cloud-storage-rules-runtime JAR, which cannot be downloaded offline.
 * It speaks the runtime's JSON-lines protocol on stdin/stdout ("serve" mode): every ruleset loads and every
 * request is permitted. It does NOT evaluate storage.rules; the Admin SDK (all our server code) bypasses rules
 * anyway, and storage.rules denies all client access in production. See docs/development.md "Emulators offline".
 */
public class StorageRulesStub {
  public static void main(String[] args) throws IOException {
    PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
    out.println("{\"id\":-1,\"status\":\"ok\",\"errors\":[],\"warnings\":[]}");
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    Pattern idPattern = Pattern.compile("\"id\":(-?\\d+)\\}\\s*$");
    String line;
    while ((line = in.readLine()) != null) {
      Matcher m = idPattern.matcher(line);
      if (!m.find()) continue;
      String id = m.group(1);
      String result = line.startsWith("{\"action\":\"load_ruleset\"")
          ? "{\"rulesVersion\":2}"
          : "{\"permit\":true}";
      out.println("{\"id\":" + id + ",\"status\":\"ok\",\"errors\":[],\"warnings\":[],\"result\":" + result + "}");
    }
  }
}
