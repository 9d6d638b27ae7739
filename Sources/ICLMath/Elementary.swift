#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

// Elementary functions for generic code: `log`, `exp`, … are not available on `BinaryFloatingPoint`,
// so the few we need go through Double (or Float when that is the type).

@inlinable public func _log(_ x: Double) -> Double { log(x) }
@inlinable public func _cos(_ x: Double) -> Double { cos(x) }
@inlinable public func _exp(_ x: Double) -> Double { exp(x) }
@inlinable public func _tanh(_ x: Double) -> Double { tanh(x) }
@inlinable public func _sin(_ x: Double) -> Double { sin(x) }
