// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import "./Common.sol";

/// One provider's answer to one task. Deployed by Nexus, which owns it.
contract Response is Ownable {
    ResponseParams public responseParams;
    ResponseStatus public status;
    bool public confirmedFinal;
    uint256 public responseTimestamp;

    constructor(ResponseParams memory _responseParams) payable Ownable(msg.sender) {
        responseParams = _responseParams;
        status = ResponseStatus.SUBMITTED;
        responseTimestamp = block.timestamp;
    }

    function getResponseParams() external view returns (ResponseParams memory) {
        return responseParams;
    }

    function getStatus() external view returns (ResponseStatus) {
        return status;
    }

    function setStatus(ResponseStatus _status) external onlyOwner {
        status = _status;
    }

    function confirm() external onlyOwner {
        require(!confirmedFinal, "AlreadyConfirmed");
        status = ResponseStatus.CONFIRMED;
        confirmedFinal = true;
    }
}
