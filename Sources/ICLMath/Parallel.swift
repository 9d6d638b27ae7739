import Dispatch

/// Runs `body(chunk)` for `chunk` in `0..<chunks` on all cores. Work is split into a fixed number of
/// chunks (not one per thread) and every reduction happens in chunk order, so results are the same
/// bit for bit however many threads run.
@inlinable
public func parallelFor(chunks: Int, _ body: (Int) -> Void) {
    if chunks <= 1 {
        if chunks == 1 { body(0) }
        return
    }
    DispatchQueue.concurrentPerform(iterations: chunks, execute: body)
}

/// The half-open range of items `0..<count` that chunk `chunk` of `chunks` owns.
@inlinable
public func chunkRange(_ chunk: Int, of chunks: Int, count: Int) -> Range<Int> {
    let lower = count * chunk / chunks
    let upper = count * (chunk + 1) / chunks
    return lower..<upper
}

/// A pointer that may cross into concurrently running closures; the caller guarantees that
/// concurrent users touch disjoint elements.
public struct SharedPointer<T>: @unchecked Sendable {
    public let base: UnsafeMutablePointer<T>
    @inlinable public init(_ base: UnsafeMutablePointer<T>) { self.base = base }
}

/// Untyped memory that may cross into concurrently running closures (same contract as `SharedPointer`).
public struct SharedRawPointer: @unchecked Sendable {
    public let base: UnsafeMutableRawPointer
    @inlinable public init(_ base: UnsafeMutableRawPointer) { self.base = base }
}
