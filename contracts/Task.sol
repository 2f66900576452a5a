// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import "./Common.sol";

/// One job sent to a source. Deployed by the Controller; Nexus records attempts and responses.
contract Task is Ownable {
    TaskParams public taskParams;
    TaskStatus public status;
    DeliveryMethod public deliveryMethod;
    address public winningProvider;
    address private immutable nexus;

    address[] public attempters;
    uint256[] public attemptTimestamps;
    /// 1-based slot of each attempter; 0 means the address never attempted.
    mapping(address => uint256) public attempterId;
    mapping(address => address) public responseOf;
    mapping(bytes32 => bool) public isAlreadySubmitted;

    modifier onlyProtocol() {
        require(msg.sender == nexus || msg.sender == owner(), "NotOwner");
        _;
    }

    constructor(TaskParams memory _taskParams, DeliveryMethod _deliveryMethod, address _nexus)
        payable
        Ownable(msg.sender)
    {
        taskParams = _taskParams;
        deliveryMethod = _deliveryMethod;
        nexus = _nexus;
        status = TaskStatus.NEW;
    }

    // ---- views -------------------------------------------------------------------------------

    /// The stored status, except that an unresolved task past its expiry reads as EXPIRED.
    function getStatus() public view returns (TaskStatus) {
        if (
            (status == TaskStatus.NEW || status == TaskStatus.ATTEMPTED || status == TaskStatus.RESPONDED)
                && block.timestamp > taskParams.expiryTime
        ) {
            return TaskStatus.EXPIRED;
        }
        return status;
    }

    function getDeliveryMethod() external view returns (DeliveryMethod) {
        return deliveryMethod;
    }

    function getSource() external view returns (address) {
        return taskParams.source;
    }

    function getPayment() external view returns (uint256) {
        return taskParams.payment;
    }

    function getExpiryTime() external view returns (uint256) {
        return taskParams.expiryTime;
    }

    function getAttemptCount() external view returns (uint256) {
        return attempters.length;
    }

    function getAttempterId(address provider) external view returns (uint256) {
        return attempterId[provider];
    }

    /// Attempters in slots lower..upper, both bounds inclusive.
    function getAttempters(uint256 lower, uint256 upper) external view returns (address[] memory out) {
        out = new address[](upper - lower + 1);
        for (uint256 i = lower; i <= upper; i++) {
            out[i - lower] = attempters[i];
        }
    }

    /// Attempt timestamps in slots lower..upper, both bounds inclusive.
    function getAttemptTimestamps(uint256 lower, uint256 upper) external view returns (uint256[] memory out) {
        out = new uint256[](upper - lower + 1);
        for (uint256 i = lower; i <= upper; i++) {
            out[i - lower] = attemptTimestamps[i];
        }
    }

    /// The response of each attempter slot lower..upper (inclusive); zero where none was submitted.
    function getResponsesOf(uint256 lower, uint256 upper) external view returns (address[] memory out) {
        out = new address[](upper - lower + 1);
        for (uint256 i = lower; i <= upper; i++) {
            out[i - lower] = responseOf[attempters[i]];
        }
    }

    // ---- protocol writes (Nexus / Controller) -------------------------------------------------

    function attempt(address provider) external onlyProtocol {
        require(attempterId[provider] == 0, "NotEligible");
        attempters.push(provider);
        attemptTimestamps.push(block.timestamp);
        attempterId[provider] = attempters.length;
        if (status == TaskStatus.NEW) status = TaskStatus.ATTEMPTED;
    }

    function submitResponse(address response, address provider) external onlyProtocol {
        require(attempterId[provider] != 0, "NotEligible");
        bytes32 key = keccak256(abi.encodePacked(provider));
        require(!isAlreadySubmitted[key], "NotEligible");
        isAlreadySubmitted[key] = true;
        responseOf[provider] = response;
        if (status == TaskStatus.NEW || status == TaskStatus.ATTEMPTED) status = TaskStatus.RESPONDED;
    }

    function setStatus(TaskStatus _status) external onlyProtocol {
        status = _status;
    }

    function setWinningProvider(address provider) external onlyProtocol {
        winningProvider = provider;
    }
}
