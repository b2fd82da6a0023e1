import FuzzerDriver
import Store

/// libFuzzer entry point: a provisioning YAML file (`centralino apply`, the admin API's import).
/// It must be rejected with a `ProvisioningError` or parsed; it must never trap or hang.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzProvisioning(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let yaml = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    if let document = try? ProvisioningParser.parse(yaml: yaml) {
        _ = document.tenants.map { $0.extensions.count + $0.trunks.count + $0.outboundRoutes.count }
    }
    return 0
}

/// The process entry point (SwiftPM links `main` to `FuzzProvisioning_main`): runs libFuzzer's driver.
@_cdecl("FuzzProvisioning_main")
public func fuzzProvisioningMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzProvisioning(data!, size) }
}
