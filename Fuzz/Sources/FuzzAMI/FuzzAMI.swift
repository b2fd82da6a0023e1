import AMI
import FuzzerDriver
import NIOCore

/// libFuzzer entry point: the AMI byte stream as a client sends it on the manager port.
///
/// The input is decoded twice, in one piece and in chunks whose sizes come from the input
/// itself, and both runs must yield the same messages (the decoder keeps state across reads).
/// Every message then goes through the action parsers a session runs on it: Originate (with
/// and without `system`), Variable headers, Events/eventmask, boolean flags.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAMI(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let whole = decode(bytes, chunkSizes: [size])
    let chunked = decode(bytes, chunkSizes: bytes.prefix(16).map { Int($0 % 64) + 1 })
    precondition(whole == chunked, "AMIFrameDecoder yields different messages for different read sizes")
    for inbound in whole where inbound.problem == nil {
        exercise(inbound.message)
    }
    return 0
}

/// Feeds `bytes` to one decoder in reads of the given sizes (cycled), then EOF.
private func decode(_ bytes: UnsafeBufferPointer<UInt8>, chunkSizes: [Int]) -> [AMIInbound] {
    var decoder = AMIFrameDecoder()
    var buffer = ByteBuffer()
    var messages: [AMIInbound] = []
    var offset = 0
    var chunk = 0
    while offset < bytes.count {
        let length = min(max(chunkSizes[chunk % chunkSizes.count], 1), bytes.count - offset)
        buffer.writeBytes(UnsafeBufferPointer(rebasing: bytes[offset..<(offset + length)]))
        offset += length
        chunk += 1
        while let message = try? decoder.decode(buffer: &buffer) { messages.append(message) }
        buffer.discardReadBytes()
    }
    while let message = try? decoder.decodeLast(buffer: &buffer, seenEOF: true) { messages.append(message) }
    return messages
}

private func exercise(_ message: AMIMessage) {
    _ = message.action
    _ = message.actionID
    _ = message.variableLines
    for (name, value) in AMIVariables.parse(message) {
        _ = name.count + value.count
    }
    for header in message.headers {
        _ = AMIVariables.splitArguments(header.value)
        _ = AMIVariables.splitArguments(header.value, limit: 3)
        _ = AMIBoolean.isTrue(header.value)
        _ = AMIBoolean.isFalse(header.value)
        _ = AMIPermissions.eventMask(from: header.value)
        _ = AMIPermissions(classList: header.value)?.classListString
    }
    for permissions in [AMIPermissions.all, [.originate, .call]] {
        let request = try? OriginateRequest.parse(message, writePermissions: permissions) { _, _, label in
            label.count < 4 ? label.utf8.count : nil
        }
        if let request {
            _ = request.variables.count
            _ = request.channel + request.technology + request.resource
        }
    }
}

/// The process entry point (SwiftPM links `main` to `FuzzAMI_main`): runs libFuzzer's driver.
@_cdecl("FuzzAMI_main")
public func fuzzAMIMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzAMI(data!, size) }
}
