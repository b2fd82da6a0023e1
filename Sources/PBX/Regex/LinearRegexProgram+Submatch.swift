/// Leftmost-first matching with the position of the match and of group 1 (a Pike VM with thread
/// priorities, as RE2's): threads are kept in priority order, a `split` prefers its first branch, and
/// a match cuts every lower-priority thread. Still at most `(subject length + 1) × instructions` steps.
extension LinearRegexProgram {
    /// Where a match lies in the subject's bytes, and group 1 when it took part.
    struct Positions: Sendable, Equatable {
        var range: Range<Int>
        var firstGroup: Range<Int>?
    }

    private struct Thread {
        var pc: Int
        var start: Int
        var groupStart = -1
        var groupEnd = -1
    }

    /// The first match (leftmost, then by priority); only at offset 0 when `anchored`.
    func firstMatch(_ subject: UnsafeBufferPointer<UInt8>, anchored: Bool) -> Positions? {
        var current = ThreadList(capacity: instructions.count)
        var next = ThreadList(capacity: instructions.count)
        var stack: [Thread] = []
        var best: Positions?
        for position in 0...subject.count {
            if best == nil, position == 0 || !anchored {
                follow(Thread(pc: 0, start: position), at: position, length: subject.count, into: &current, stack: &stack)
            }
            if current.isEmpty { break }
            next.removeAll()
            threads: for index in 0..<current.count {
                let thread = current[index]
                let advances: Bool
                switch instructions[thread.pc] {
                case .match:
                    let group = thread.groupStart >= 0 && thread.groupEnd >= thread.groupStart ? thread.groupStart..<thread.groupEnd : nil
                    best = Positions(range: thread.start..<position, firstGroup: group)
                    break threads
                case .byte(let expected): advances = position < subject.count && subject[position] == expected
                case .any: advances = position < subject.count
                case .set(let set): advances = position < subject.count && set.contains(subject[position])
                case .split, .jump, .lineStart, .lineEnd, .save: advances = false
                }
                if advances {
                    var moved = thread
                    moved.pc += 1
                    follow(moved, at: position + 1, length: subject.count, into: &next, stack: &stack)
                }
            }
            swap(&current, &next)
        }
        return best
    }

    /// Adds `thread` and what it reaches without consuming input, in priority order; only threads
    /// waiting on a byte or at `match` are kept.
    private func follow(_ thread: Thread, at position: Int, length: Int, into list: inout ThreadList, stack: inout [Thread]) {
        stack.append(thread)
        while var thread = stack.popLast() {
            guard list.visit(thread.pc) else { continue }
            switch instructions[thread.pc] {
            case .jump(let target):
                thread.pc = target
                stack.append(thread)
            case .split(let first, let second):
                var other = thread
                other.pc = second
                stack.append(other)
                thread.pc = first
                stack.append(thread)
            case .save(let slot):
                if slot == 0 { thread.groupStart = position } else { thread.groupEnd = position }
                thread.pc += 1
                stack.append(thread)
            case .lineStart:
                if position == 0 {
                    thread.pc += 1
                    stack.append(thread)
                }
            case .lineEnd:
                if position == length {
                    thread.pc += 1
                    stack.append(thread)
                }
            case .byte, .any, .set, .match:
                list.append(thread)
            }
        }
    }

    /// Threads in priority order, with the program counters visited at this position.
    private struct ThreadList {
        private var threads: [Thread] = []
        private var dense: [Int]
        private var sparse: [Int]
        private var visited = 0

        init(capacity: Int) {
            dense = Array(repeating: 0, count: capacity)
            sparse = Array(repeating: 0, count: capacity)
            threads.reserveCapacity(capacity)
        }

        var count: Int { threads.count }
        var isEmpty: Bool { threads.isEmpty }
        subscript(index: Int) -> Thread { threads[index] }

        /// Marks `pc` visited; false when it already was.
        mutating func visit(_ pc: Int) -> Bool {
            let slot = sparse[pc]
            if slot < visited, dense[slot] == pc { return false }
            sparse[pc] = visited
            dense[visited] = pc
            visited += 1
            return true
        }

        mutating func append(_ thread: Thread) { threads.append(thread) }

        mutating func removeAll() {
            threads.removeAll(keepingCapacity: true)
            visited = 0
        }
    }
}
