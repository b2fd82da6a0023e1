import Foundation
import ServiceLifecycle

/// Prints the startup lines (listening addresses, tenants) once the service group runs, so that
/// whoever waits for them can already stop the node cleanly with SIGTERM.
struct ReadyAnnouncer: Service {
    let lines: [String]

    func run() async throws {
        for line in lines {
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }
        try? await gracefulShutdown()
    }
}
