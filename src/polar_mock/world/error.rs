//! Why the world refuses a transition, in Polar's terms and without status codes (the API
//! room maps each to Polar's answer).

/// A refused transition.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorldError {
    #[error("This checkout is not open.")]
    CheckoutNotOpen,
    #[error("This checkout session has expired.")]
    CheckoutExpired,
    /// A checkout's seats below the price's (or the checkout's) minimum.
    #[error("Minimum {0} seats required.")]
    CheckoutBelowMinimumSeats(i64),
    #[error("Maximum {0} seats allowed.")]
    CheckoutAboveMaximumSeats(i64),
    #[error("You already have an active subscription.")]
    AlreadyActiveSubscription,
    #[error("Your card was declined.")]
    PaymentDeclined,
    #[error("This subscription is already canceled or will be at the end of the period.")]
    AlreadyCanceled,
    /// Uncancel of a subscription that has ended.
    #[error("Unavailable")]
    SubscriptionEnded,
    /// Uncancel of a subscription that is not set to cancel.
    #[error("Bad request")]
    NotCanceling,
    #[error("This subscription does not support seat-based pricing.")]
    NotSeatBased,
    #[error("Minimum {0} seats required.")]
    BelowMinimumSeats(i64),
    #[error("Maximum {0} seats allowed.")]
    AboveMaximumSeats(i64),
    /// The end of a period of a subscription that is no longer billed.
    #[error("The subscription has ended.")]
    NotBillable,
    /// A billing-period change on a subscription that is not active (past due included).
    #[error("Subscription {0} is not active.")]
    InactiveSubscription(String),
    #[error("Order is not eligible for invoice generation.")]
    NotEligibleForInvoice,
    /// Not a pending subscription order awaiting a dunning retry (Polar's
    /// `OrderNotEligibleForRetry`, `server/polar/order/service.py` 219-223).
    #[error("Order {0} is not eligible for payment retry.")]
    NotEligibleForRetry(String),
    /// A retry of this order is still being processed (`PaymentAlreadyInProgress`, 249-253).
    #[error("Payment for order {0} is already in progress")]
    PaymentAlreadyInProgress(String),
    /// The saved card named for a retry is not the customer's (`PaymentRetryValidationError`,
    /// `order/service.py` 1962-1974).
    #[error("Payment method does not belong to customer")]
    RetryPaymentMethodNotFound,
}
