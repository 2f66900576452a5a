// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

// Shared types of the OpenGPU-compatible devnet contracts. Layouts and enum values follow the
// deployed protocol so that any OpenGPU client decodes the devnet exactly as it decodes mainnet.

enum TaskStatus { NEW, ATTEMPTED, RESPONDED, CANCELED, EXPIRED, FINALIZED }
enum ResponseStatus { SUBMITTED, CONFIRMED }
enum DeliveryMethod { MANUAL_CONFIRMATION, FIRST_RESPONSE }
enum SourceStatus { ACTIVE, INACTIVE }
enum Environment { CPU, NVIDIA, AMD }

struct SourceParams {
    address client;
    string imageMetadataUrl;
    uint8 imageEnvironments;
    uint256 minPayment;
    uint256 minAvailableLockup;
    uint256 maxExpiryDuration;
    bool privacyEnabled;
    string optionalParamsUrl;
    DeliveryMethod deliveryMethod;
    uint256 lastUpdateTime;
}

struct TaskParams {
    address source;
    string config;
    uint256 expiryTime;
    uint256 payment;
}

struct ResponseParams {
    address task;
    address provider;
    string data;
    uint256 payment;
}

/// Minimal Ownable with the custom errors of OpenZeppelin's, as the deployed contracts use.
abstract contract Ownable {
    error OwnableUnauthorizedAccount(address account);
    error OwnableInvalidOwner(address owner);

    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

    address private _owner;

    constructor(address initialOwner) {
        if (initialOwner == address(0)) revert OwnableInvalidOwner(address(0));
        _transferOwnership(initialOwner);
    }

    modifier onlyOwner() {
        if (msg.sender != _owner) revert OwnableUnauthorizedAccount(msg.sender);
        _;
    }

    function owner() public view returns (address) {
        return _owner;
    }

    function transferOwnership(address newOwner) public onlyOwner {
        if (newOwner == address(0)) revert OwnableInvalidOwner(address(0));
        _transferOwnership(newOwner);
    }

    function renounceOwnership() public onlyOwner {
        _transferOwnership(address(0));
    }

    function _transferOwnership(address newOwner) internal {
        address old = _owner;
        _owner = newOwner;
        emit OwnershipTransferred(old, newOwner);
    }
}
