import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Random numbers from the kernel's generator, read 64 words at a time: the tags, branches and
/// Call-IDs of one click-to-call take about 15 words, and `SystemRandomNumberGenerator` makes a
/// `getrandom` system call for each. The words are the kernel's (`/dev/urandom`, which is
/// `getrandom`'s generator); a word is zeroed once handed out, so the pool holds only words not yet
/// used. If `/dev/urandom` cannot be read, the system generator fills the pool instead.
package struct PooledRandom: RandomNumberGenerator {
    package init() {}

    package mutating func next() -> UInt64 { RandomPool.shared.next() }
}

private final class RandomPool: @unchecked Sendable {
    static let shared = RandomPool()

    private let lock = NIOLock()
    /// Guarded by `lock`.
    private var words = [UInt64](repeating: 0, count: 64)
    private var used = 64
    private let urandom = open("/dev/urandom", O_RDONLY | O_CLOEXEC)

    func next() -> UInt64 {
        lock.withLock {
            if used == words.count { refill() }
            let word = words[used]
            words[used] = 0
            used += 1
            return word
        }
    }

    private func refill() {
        if !readFromKernel() {
            var system = SystemRandomNumberGenerator()
            for index in words.indices { words[index] = system.next() }
        }
        used = 0
    }

    /// Fills `words` from `/dev/urandom`; false if it is not open or a read fails.
    private func readFromKernel() -> Bool {
        guard urandom >= 0 else { return false }
        return words.withUnsafeMutableBytes { bytes in
            var filled = 0
            while filled < bytes.count {
                let got = read(urandom, bytes.baseAddress! + filled, bytes.count - filled)
                if got > 0 {
                    filled += got
                } else if got < 0, errno == EINTR {
                    continue
                } else {
                    return false
                }
            }
            return true
        }
    }
}
