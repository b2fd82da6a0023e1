import XCTest

/// `XCTAssertThrowsError` for an async expression (XCTest's autoclosures cannot `await`).
func assertThrowsAsync<T>(
    _ expression: () async throws -> T, _ message: String = "", file: StaticString = #filePath, line: UInt = #line,
    _ errorHandler: (any Error) -> Void = { _ in }
) async {
    do {
        _ = try await expression()
        XCTFail("expected an error" + (message.isEmpty ? "" : ": \(message)"), file: file, line: line)
    } catch {
        errorHandler(error)
    }
}
