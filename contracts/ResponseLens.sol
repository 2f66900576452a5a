// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ResponseLens: bulk reads of OpenGPU tasks, responses and sources in one eth_call.
/// @notice Never deployed. ogpu_widgets runs this creation code as a deployless `eth_call` (a call
/// without `to`): the constructor reads what its arguments ask for and `return`s, in place of
/// runtime code, the ABI encoding of
///
///     (uint256 gasUsed, uint256 done, uint256[] words, bytes texts)
///
/// Because the node treats what a constructor returns as contract code, the output must stay
/// within the code size limit (24,576 bytes under EIP-170): the caller passes its limit as
/// `maxOutput`, and the constructor stops before the first item that would not fit, or when the
/// gas left would not cover one more item, counting the code deposit (200 gas per returned byte)
/// the node charges for the output. `done` is the number of input items read completely;
/// the caller asks again for the rest. `done == 0` means the first item alone does not fit.
///
/// It calls only view functions of the deployed protocol (the signatures in the official SDK's
/// ABIs), each through a low-level staticcall, so that an address which is not what the caller
/// says it is shows up as a flag instead of reverting the whole read.
///
/// `words` per mode (texts are appended to `texts`; their lengths are in the words):
///
/// TASKS          input: task addresses. Per task, 8 words:
///                [flags | status << 8 | deliveryMethod << 16 | configLength << 32, source,
///                 client, payment, expiryTime, attemptCount, winningProvider, timestamp of the
///                 first attempt (0 if none)]; text: the task's config.
/// SLOTS          input: task | lower << 160 | upper << 208 (attempter slots, both inclusive).
///                Per range: [k | flags << 160] then the k non-zero response addresses.
/// SLOTS_DETAILED as SLOTS, but each response is a 4-word record (see RESPONSES).
/// RESPONSES      input: response addresses. Per response, 4 words:
///                [response | flags << 160 | status << 168 | confirmedFinal << 176 |
///                 responseTimestamp << 192, task | dataLength << 160, provider, payment];
///                text: the response's data.
/// SOURCES        input: source addresses. Per source, 3 words: [flags | status << 8, client,
///                taskCount].
/// SOURCE_TASKS   input: source | lower << 160 | upper << 208 (task slots, both inclusive).
///                Per range: [k | flags << 160] then k task addresses. A range from 0 is one
///                `getTasks(0, upper)` call (the deployed getter reverts when lower != 0); other
///                ranges read the public array getter `tasks(i)`.
/// CLIENT_SOURCES input: [nexus, client, lower, upper] (source slots of Nexus, both inclusive,
///                clamped to the source count). words: [sourceCount] then the sources whose
///                getClient() is `client`. `done` counts the source slots read from `lower`.
///
/// flags: bit 0 = the address has code, bit 1 = every getter answered as the protocol's does.
contract ResponseLens {
    uint256 private constant TASKS = 1;
    uint256 private constant SLOTS = 2;
    uint256 private constant SLOTS_DETAILED = 3;
    uint256 private constant RESPONSES = 4;
    uint256 private constant SOURCES = 5;
    uint256 private constant SOURCE_TASKS = 6;
    uint256 private constant CLIENT_SOURCES = 7;

    uint256 private constant HAS_CODE = 1;
    uint256 private constant LOOKS_RIGHT = 2;

    bytes4 private constant TASK_PARAMS = bytes4(keccak256("taskParams()"));
    bytes4 private constant GET_STATUS = bytes4(keccak256("getStatus()"));
    bytes4 private constant GET_DELIVERY_METHOD = bytes4(keccak256("getDeliveryMethod()"));
    bytes4 private constant GET_ATTEMPT_COUNT = bytes4(keccak256("getAttemptCount()"));
    bytes4 private constant WINNING_PROVIDER = bytes4(keccak256("winningProvider()"));
    bytes4 private constant GET_ATTEMPT_TIMESTAMPS = bytes4(keccak256("getAttemptTimestamps(uint256,uint256)"));
    bytes4 private constant GET_RESPONSES_OF = bytes4(keccak256("getResponsesOf(uint256,uint256)"));
    bytes4 private constant GET_RESPONSE_PARAMS = bytes4(keccak256("getResponseParams()"));
    bytes4 private constant CONFIRMED_FINAL = bytes4(keccak256("confirmedFinal()"));
    bytes4 private constant RESPONSE_TIMESTAMP = bytes4(keccak256("responseTimestamp()"));
    bytes4 private constant GET_CLIENT = bytes4(keccak256("getClient()"));
    bytes4 private constant GET_TASK_COUNT = bytes4(keccak256("getTaskCount()"));
    bytes4 private constant GET_TASKS = bytes4(keccak256("getTasks(uint256,uint256)"));
    bytes4 private constant TASKS_AT = bytes4(keccak256("tasks(uint256)"));
    bytes4 private constant GET_SOURCE_COUNT = bytes4(keccak256("getSourceCount()"));
    bytes4 private constant GET_SOURCES = bytes4(keccak256("getSources(uint256,uint256)"));

    uint256 private constant ADDRESS_MASK = (1 << 160) - 1;
    uint256 private constant INDEX_MASK = (1 << 48) - 1;
    uint256 private constant U32_MASK = (1 << 32) - 1;
    uint256 private constant U64_MASK = (1 << 64) - 1;
    /// Bytes of the encoding besides the words and the texts: four head words, two lengths.
    uint256 private constant FRAME = 192;
    /// Gas kept for the final encoding and return (at most a few kB are copied).
    uint256 private constant RESERVE = 120_000;
    /// What the node charges per byte a constructor returns (the code deposit cost).
    uint256 private constant DEPOSIT_PER_BYTE = 200;

    /// The output under construction. `words` and `texts` are allocated at the capacity that
    /// `maxOutput` allows and cut to their used length at the end; an item is committed only
    /// when it fits, otherwise the counters roll back to where it began.
    struct Out {
        uint256[] words;
        bytes texts;
        uint256 nWords;
        uint256 nText;
        uint256 maxOutput;
        bool overflow;
        uint256 maxItemGas;
    }

    constructor(uint256 mode, uint256 maxOutput, uint256[] memory input) {
        uint256 start = gasleft();
        Out memory o;
        o.maxOutput = maxOutput;
        o.words = new uint256[](maxOutput / 32);
        o.texts = new bytes(maxOutput + 32);
        uint256 done;
        if (mode >= TASKS && mode <= SOURCE_TASKS) done = _each(mode, input, o);
        else if (mode == CLIENT_SOURCES) done = _clientSources(input, o);
        else revert("ResponseLens: unknown mode");
        uint256[] memory words = o.words;
        bytes memory texts = o.texts;
        uint256 nWords = o.nWords;
        uint256 nText = o.nText;
        assembly ("memory-safe") {
            mstore(words, nWords)
            mstore(texts, nText)
        }
        bytes memory out = abi.encode(start - gasleft(), done, words, texts);
        assembly ("memory-safe") {
            return(add(out, 0x20), mload(out))
        }
    }

    // ---- modes ---------------------------------------------------------------------------------

    /// Reads the input items one by one, committing each one that fits.
    function _each(uint256 mode, uint256[] memory input, Out memory o) private view returns (uint256 i) {
        for (; i < input.length; i++) {
            if (i > 0 && !_gasForOneMore(o)) break;
            uint256 g = gasleft();
            uint256 w0 = o.nWords;
            uint256 t0 = o.nText;
            if (mode == TASKS) _task(o, address(uint160(input[i])));
            else if (mode == RESPONSES) _response(o, address(uint160(input[i])));
            else if (mode == SOURCES) _source(o, address(uint160(input[i])));
            else if (mode == SOURCE_TASKS) _sourceTasks(o, input[i]);
            else _slots(o, input[i], mode == SLOTS_DETAILED);
            if (!_fits(o)) {
                (o.nWords, o.nText, o.overflow) = (w0, t0, false);
                break;
            }
            _track(o, g, 32 * (o.nWords - w0) + o.nText - t0);
        }
    }

    function _task(Out memory o, address t) private view {
        uint256 flags = t.code.length > 0 ? HAS_CODE : 0;
        bool ok;
        uint256 source;
        uint256 expiry;
        uint256 payment;
        uint256 config;
        uint256 configLength;
        {
            (bool called, uint256 p, uint256 size) = _ret(t, TASK_PARAMS);
            // taskParams() returns (address source, string config, uint256 expiry, uint256 payment)
            if (called && size >= 0xa0) {
                (ok, config, configLength) = _string(p, size, 0, 0x20);
                source = _load(p, 0);
                expiry = _load(p, 0x40);
                payment = _load(p, 0x60);
            }
        }
        (bool ok1, uint256 status) = _word(t, GET_STATUS);
        (bool ok2, uint256 delivery) = _word(t, GET_DELIVERY_METHOD);
        (bool ok3, uint256 count) = _word(t, GET_ATTEMPT_COUNT);
        (bool ok4, uint256 winner) = _word(t, WINNING_PROVIDER);
        ok = ok && ok1 && ok2 && ok3 && ok4 && status <= 5 && delivery <= 1 && configLength <= U32_MASK;
        uint256 firstAttempt;
        if (ok && count > 0) {
            bool ok5;
            (ok5, firstAttempt) = _wordAt(t, GET_ATTEMPT_TIMESTAMPS, 0, 0, 0x40);
            ok = ok5;
        }
        uint256 client;
        if (ok) (, client) = _word(address(uint160(source)), GET_CLIENT);
        if (ok) flags |= LOOKS_RIGHT;
        else (status, delivery, count, configLength) = (0, 0, 0, 0);
        _put(o, flags | (status << 8) | (delivery << 16) | (configLength << 32));
        _put(o, source & ADDRESS_MASK);
        _put(o, client & ADDRESS_MASK);
        _put(o, payment);
        _put(o, expiry);
        _put(o, count);
        _put(o, winner & ADDRESS_MASK);
        _put(o, firstAttempt);
        _putText(o, config, configLength);
    }

    function _slots(Out memory o, uint256 range, bool detailed) private view {
        (address t, uint256 lower, uint256 upper) = _range(range);
        (bool ok, uint256[] memory found) = _array(t, GET_RESPONSES_OF, lower, upper);
        uint256 header = o.nWords;
        _put(o, 0);
        uint256 k;
        for (uint256 j = 0; j < found.length && !o.overflow; j++) {
            uint256 r = found[j] & ADDRESS_MASK;
            if (r == 0) continue; // an attempter without a response
            k++;
            if (detailed) _response(o, address(uint160(r)));
            else _put(o, r);
        }
        if (!o.overflow) o.words[header] = k | ((ok ? HAS_CODE | LOOKS_RIGHT : 0) << 160);
    }

    function _response(Out memory o, address r) private view {
        uint256 flags = r.code.length > 0 ? HAS_CODE : 0;
        bool ok;
        uint256 task;
        uint256 provider;
        uint256 payment;
        uint256 data;
        uint256 dataLength;
        {
            (bool called, uint256 p, uint256 size) = _ret(r, GET_RESPONSE_PARAMS);
            // getResponseParams() returns the tuple (address task, address provider, string data,
            // uint256 payment): an offset to the tuple, then its four head words.
            if (called && size >= 0xc0) {
                uint256 base = _load(p, 0);
                if (base <= size - 0xa0) {
                    (ok, data, dataLength) = _string(p, size, base, 0x40);
                    task = _load(p, base);
                    provider = _load(p, base + 0x20);
                    payment = _load(p, base + 0x60);
                }
            }
        }
        (bool ok1, uint256 status) = _word(r, GET_STATUS);
        (bool ok2, uint256 confirmed) = _word(r, CONFIRMED_FINAL);
        (bool ok3, uint256 timestamp) = _word(r, RESPONSE_TIMESTAMP);
        if (ok && ok1 && ok2 && ok3 && status <= 1 && confirmed <= 1 && dataLength <= U32_MASK) {
            flags |= LOOKS_RIGHT;
        } else {
            (status, confirmed, dataLength) = (0, 0, 0);
        }
        _put(
            o,
            uint256(uint160(r)) | (flags << 160) | (status << 168) | (confirmed << 176)
                | ((timestamp & U64_MASK) << 192)
        );
        _put(o, (task & ADDRESS_MASK) | (dataLength << 160));
        _put(o, provider & ADDRESS_MASK);
        _put(o, payment);
        _putText(o, data, dataLength);
    }

    function _source(Out memory o, address s) private view {
        uint256 flags = s.code.length > 0 ? HAS_CODE : 0;
        (bool ok1, uint256 client) = _word(s, GET_CLIENT);
        (bool ok2, uint256 count) = _word(s, GET_TASK_COUNT);
        (bool ok3, uint256 status) = _word(s, GET_STATUS);
        if (ok1 && ok2 && ok3 && status <= 1 && client <= ADDRESS_MASK) flags |= LOOKS_RIGHT;
        else (client, count, status) = (0, 0, 0);
        _put(o, flags | (status << 8));
        _put(o, client);
        _put(o, count);
    }

    function _sourceTasks(Out memory o, uint256 range) private view {
        (address s, uint256 lower, uint256 upper) = _range(range);
        uint256 header = o.nWords;
        _put(o, 0);
        bool ok = upper >= lower;
        uint256 k;
        if (ok && lower == 0) {
            uint256[] memory found;
            (ok, found) = _array(s, GET_TASKS, 0, upper);
            for (uint256 j = 0; j < found.length; j++) _put(o, found[j] & ADDRESS_MASK);
            k = found.length;
        } else if (ok) {
            for (uint256 j = lower; j <= upper && !o.overflow; j++) {
                (bool got, uint256 t) = _wordAt1(s, TASKS_AT, j);
                if (!got) {
                    ok = false;
                    break;
                }
                _put(o, t & ADDRESS_MASK);
                k++;
            }
        }
        if (!o.overflow) o.words[header] = k | ((ok ? HAS_CODE | LOOKS_RIGHT : 0) << 160);
    }

    function _clientSources(uint256[] memory input, Out memory o) private view returns (uint256 done) {
        require(input.length == 4, "ResponseLens: CLIENT_SOURCES takes [nexus, client, lower, upper]");
        address nexus = address(uint160(input[0]));
        uint256 client = input[1];
        uint256 lower = input[2];
        uint256 upper = input[3];
        (bool ok, uint256 count) = _word(nexus, GET_SOURCE_COUNT);
        require(ok, "ResponseLens: getSourceCount() failed");
        _put(o, count);
        if (count == 0 || lower >= count || upper < lower) return 0;
        if (upper > count - 1) upper = count - 1;
        (bool got, uint256[] memory sources) = _array(nexus, GET_SOURCES, lower, upper);
        require(got, "ResponseLens: getSources() failed");
        for (; done < sources.length; done++) {
            if (done > 0 && !_gasForOneMore(o)) break;
            uint256 g = gasleft();
            uint256 w0 = o.nWords;
            (bool okc, uint256 c) = _word(address(uint160(sources[done])), GET_CLIENT);
            if (okc && c == client) _put(o, sources[done] & ADDRESS_MASK);
            if (!_fits(o)) {
                (o.nWords, o.overflow) = (w0, false);
                break;
            }
            _track(o, g, 32 * (o.nWords - w0));
        }
    }

    // ---- output --------------------------------------------------------------------------------

    function _put(Out memory o, uint256 value) private pure {
        if (o.nWords >= o.words.length) {
            o.overflow = true;
            return;
        }
        o.words[o.nWords++] = value;
    }

    /// Appends `length` bytes from memory at `src` to the texts.
    function _putText(Out memory o, uint256 src, uint256 length) private pure {
        if (length == 0 || o.overflow) return;
        bytes memory texts = o.texts;
        uint256 at = o.nText;
        if (length > o.maxOutput || at + length > o.maxOutput) {
            o.overflow = true;
            return;
        }
        assembly ("memory-safe") {
            let dst := add(add(texts, 0x20), at)
            for { let i := 0 } lt(i, length) { i := add(i, 0x20) } {
                mstore(add(dst, i), mload(add(src, i)))
            }
        }
        o.nText = at + length;
    }

    function _size(Out memory o) private pure returns (uint256) {
        return FRAME + 32 * o.nWords + ((o.nText + 31) & ~uint256(31));
    }

    function _fits(Out memory o) private pure returns (bool) {
        return !o.overflow && _size(o) <= o.maxOutput;
    }

    /// Whether the gas left covers twice the dearest item so far (its reads and the deposit of
    /// its output), the deposit of the output so far, and the final encoding.
    function _gasForOneMore(Out memory o) private view returns (bool) {
        return gasleft() >= 2 * o.maxItemGas + DEPOSIT_PER_BYTE * _size(o) + RESERVE;
    }

    function _track(Out memory o, uint256 gasBefore, uint256 outputBytes) private view {
        uint256 used = gasBefore - gasleft() + DEPOSIT_PER_BYTE * outputBytes;
        if (used > o.maxItemGas) o.maxItemGas = used;
    }

    function _range(uint256 word) private pure returns (address target, uint256 lower, uint256 upper) {
        target = address(uint160(word));
        lower = (word >> 160) & INDEX_MASK;
        upper = (word >> 208) & INDEX_MASK;
    }

    // ---- low-level reads ---------------------------------------------------------------------

    /// `target.sel()` expecting one word; ok = false (and v = 0) when the call fails or returns
    /// less.
    function _word(address target, bytes4 sel) private view returns (bool ok, uint256 v) {
        assembly ("memory-safe") {
            mstore(0, sel)
            ok := staticcall(gas(), target, 0, 4, 0, 0x20)
            if lt(returndatasize(), 0x20) { ok := 0 }
            v := mul(ok, mload(0)) // 0, not revert data, when the call failed
        }
    }

    /// `target.sel(a)` expecting one word.
    function _wordAt1(address target, bytes4 sel, uint256 a) private view returns (bool ok, uint256 v) {
        assembly ("memory-safe") {
            mstore(0, sel)
            mstore(4, a)
            ok := staticcall(gas(), target, 0, 0x24, 0, 0x20)
            if lt(returndatasize(), 0x20) { ok := 0 }
            v := mul(ok, mload(0))
        }
    }

    /// The word at byte `at` of what `target.sel(a, b)` returns.
    function _wordAt(address target, bytes4 sel, uint256 a, uint256 b, uint256 at)
        private
        view
        returns (bool ok, uint256 v)
    {
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore(p, sel)
            mstore(add(p, 4), a)
            mstore(add(p, 0x24), b)
            ok := staticcall(gas(), target, p, 0x44, 0, 0)
            if lt(returndatasize(), add(at, 0x20)) { ok := 0 }
            if ok {
                returndatacopy(0, at, 0x20)
                v := mload(0)
            }
        }
    }

    /// What `target.sel()` returns, kept in fresh memory at `p` (`size` bytes).
    function _ret(address target, bytes4 sel) private view returns (bool ok, uint256 p, uint256 size) {
        assembly ("memory-safe") {
            mstore(0, sel)
            ok := staticcall(gas(), target, 0, 4, 0, 0)
            size := returndatasize()
            p := mload(0x40)
            returndatacopy(p, 0, size)
            mstore(0x40, add(p, and(add(size, 0x1f), not(0x1f))))
        }
    }

    /// The uint256[] (or address[]) that `target.sel(a, b)` returns, in fresh memory.
    function _array(address target, bytes4 sel, uint256 a, uint256 b)
        private
        view
        returns (bool ok, uint256[] memory arr)
    {
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore(p, sel)
            mstore(add(p, 4), a)
            mstore(add(p, 0x24), b)
            ok := staticcall(gas(), target, p, 0x44, 0, 0)
            let size := returndatasize()
            arr := 0x60
            if lt(size, 0x40) { ok := 0 }
            if ok {
                returndatacopy(0, 0, 0x40) // [offset][length]
                let n := mload(0x20)
                if gt(n, 0xffffffff) { ok := 0 }
                if iszero(and(eq(mload(0), 0x20), eq(size, add(0x40, mul(n, 0x20))))) { ok := 0 }
            }
            if ok {
                returndatacopy(p, 0x20, sub(size, 0x20)) // the length word and the items
                arr := p
                mstore(0x40, add(p, sub(size, 0x20)))
            }
        }
    }

    function _load(uint256 p, uint256 offset) private pure returns (uint256 v) {
        assembly ("memory-safe") {
            v := mload(add(p, offset))
        }
    }

    /// The bytes of the string whose ABI offset word sits at `base + head` of a return buffer at
    /// `p` of `size` bytes (offsets count from `base`, the start of the enclosing tuple): where
    /// they start in memory and how many there are.
    function _string(uint256 p, uint256 size, uint256 base, uint256 head)
        private
        pure
        returns (bool ok, uint256 src, uint256 length)
    {
        uint256 rel = _load(p, base + head);
        if (rel > size) return (false, 0, 0);
        uint256 off = base + rel;
        if (off + 32 > size) return (false, 0, 0);
        length = _load(p, off);
        if (length > size - off - 32) return (false, 0, 0);
        return (true, p + off + 32, length);
    }
}
